// tsc compiles TypeScript only; migrations (.sql) and the built dashboard travel beside it.
import { cpSync, existsSync } from 'node:fs';

for (const dialect of ['sqlite', 'postgres']) {
  const from = `src/store/${dialect}/migrations`;
  if (existsSync(from)) cpSync(from, `dist/src/store/${dialect}/migrations`, { recursive: true });
}
