// Runs dependency-cruiser's API (an ES module, which jest's CommonJS runtime cannot load) with a
// configuration file over the given folders, relative to the working directory, and prints the
// cruise result as JSON. Used by import-cycles.test.ts: node depcruise.mjs CONFIG FOLDER...
import { resolve } from 'node:path';
import { cruise } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const [configFile, ...folders] = process.argv.slice(2);
const options = await extractDepcruiseOptions(resolve(configFile));
const tsConfig = options.tsConfig?.fileName ? extractTSConfig(options.tsConfig.fileName) : undefined;
const { output } = await cruise(folders, options, undefined, { tsConfig });
process.stdout.write(typeof output === 'string' ? output : JSON.stringify(output));
