import pigUrl from '../pig.svg';

/** The pig, as a built asset (emoji fonts are not everywhere). */
export function Logo() {
  return <img class="logo" src={pigUrl} alt="" width={28} height={28} />;
}
