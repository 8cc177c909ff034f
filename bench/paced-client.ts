import http from 'node:http';

/**
 * One client on one keep-alive connection sending `rate` requests per second, or back to back
 * with rate 0 (each waits for the previous answer) for `seconds`: the latency one client sees, in ms with µs resolution
 * (autocannon reports whole milliseconds, too coarse for a 4 ms request). Non-2xx answers are
 * counted, not timed.
 */
export async function pacedLatencies(url: string, body: string, headers: Record<string, string>, rate: number, seconds: number): Promise<{ latencies: number[]; failed: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(url);
  const payload = Buffer.from(body);
  const send = () => new Promise<number>((resolve, reject) => {
    const req = http.request({ agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { ...headers, 'content-length': String(payload.length) } }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(payload);
  });
  const latencies: number[] = [];
  let failed = 0;
  const interval = rate > 0 ? 1000 / rate : 0; // rate 0: back to back
  const start = performance.now();
  try {
    for (let i = 0; performance.now() - start < seconds * 1000; i++) {
      const due = start + i * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const t0 = performance.now();
      const status = await send();
      const ms = performance.now() - t0;
      if (status >= 200 && status < 300) latencies.push(ms);
      else failed++;
    }
  } finally {
    agent.destroy();
  }
  return { latencies, failed };
}
