/** The claim loop's sleep, cut short by a wake-up (a new event, a finished run, stop()). */
export class WakeableSleep {
  private wakeUp: (() => void) | null = null;
  // A wake-up that came while the loop was busy claiming: the next sleep returns at once.
  private wokenWhileBusy = false;

  readonly wake = (): void => {
    const resolve = this.wakeUp;
    this.wakeUp = null;
    if (resolve) resolve();
    else this.wokenWhileBusy = true;
  };

  /** Forgets wake-ups from before now (the claim that follows sees their work). */
  forgetEarlierWakeUps(): void {
    this.wokenWhileBusy = false;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.wokenWhileBusy) {
        this.wokenWhileBusy = false;
        resolve();
        return;
      }
      const timer = setTimeout(() => {
        this.wakeUp = null;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
