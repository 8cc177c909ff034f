import { Stores1764000000000 } from './1764000000000-Stores';

/** Migrations in order; each store's module appends its own here. */
export const MIGRATIONS = [Stores1764000000000];
