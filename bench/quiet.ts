// Imported first by the benchmark entry points: the operations log would drown the report.
process.env.LOG_LEVEL ??= 'warn';
