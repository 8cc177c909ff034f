import 'reflect-metadata';
import { loadConfig } from './src/config';
import { createDataSource } from './src/db/data-source';

/** The TypeORM DataSource for the CLI (`npx typeorm migration:run -d dist/ormconfig.js`). */
const config = loadConfig();
export default createDataSource({ databaseUrl: config.databaseUrl, sqliteFile: config.sqliteFile });
