// tsc compiles only TypeScript; the numbered .sql migrations travel next to the code that reads them.
import { cpSync, statSync } from 'node:fs';

cpSync('src', 'dist', {
  recursive: true,
  filter: (path) => statSync(path).isDirectory() || path.endsWith('.sql'),
});
