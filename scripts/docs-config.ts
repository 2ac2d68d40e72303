/** npm run docs:config: writes docs/configuration.md from the catalogue of variables. */
import { writeFileSync } from 'node:fs';
import { renderConfigurationDoc } from '../src/config/variables-doc.js';

const target = new URL('../docs/configuration.md', import.meta.url);
writeFileSync(target, renderConfigurationDoc());
console.log(`wrote ${target.pathname}`);
