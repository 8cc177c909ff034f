import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';
import { count } from '../format';
import type { ConsoleClientActivityQuery } from '../generated/api';

type ClientActivity = ConsoleClientActivityQuery['clientActivity'];

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

const COLORS = { ALLOW: '#2f8f5b', MASK: '#d49a1f', DENY: '#c2413b' };

function bucketLabel(iso: string, bucket: ClientActivity['bucket']): string {
  return bucket === 'HOUR' ? `${iso.slice(5, 10)} ${iso.slice(11, 13)}h` : iso.slice(0, 10);
}

/**
 * ALLOW / MASK / DENY stacked per time bucket, drawn by Chart.js on a canvas. The same numbers
 * are in the canvas's fallback table, for screen readers (and tests).
 */
export function DecisionChart({ activity }: { activity: ClientActivity }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const labels = activity.buckets.map((b) => bucketLabel(b.start, activity.bucket));

  useEffect(() => {
    const chart = new Chart(canvas.current!, {
      type: 'bar',
      data: {
        labels,
        datasets: [
          { label: 'ALLOW', data: activity.buckets.map((b) => b.allow), backgroundColor: COLORS.ALLOW, stack: 'decisions' },
          { label: 'MASK', data: activity.buckets.map((b) => b.mask), backgroundColor: COLORS.MASK, stack: 'decisions' },
          { label: 'DENY', data: activity.buckets.map((b) => b.deny), backgroundColor: COLORS.DENY, stack: 'decisions' },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { stacked: true, grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 12 } },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'field decisions' } },
        },
        plugins: { legend: { position: 'bottom' } },
      },
    });
    return () => chart.destroy();
  }, [activity]);

  const total = activity.buckets.reduce((n, b) => n + b.allow + b.mask + b.deny, 0);
  return (
    <div class="chart-box">
      <canvas ref={canvas} role="img" data-testid="decision-chart" data-client={activity.clientId} data-bucket={activity.bucket}
        aria-label={`Field decisions of ${activity.clientId} per ${activity.bucket.toLowerCase()}, ${count(total)} in all`}>
        <table data-testid="chart-data">
          <thead><tr><th>{activity.bucket === 'HOUR' ? 'Hour' : 'Day'} (UTC)</th><th>ALLOW</th><th>MASK</th><th>DENY</th></tr></thead>
          <tbody>
            {activity.buckets.map((b) => (
              <tr data-start={b.start}><td>{b.start}</td><td>{b.allow}</td><td>{b.mask}</td><td>{b.deny}</td></tr>
            ))}
          </tbody>
        </table>
      </canvas>
    </div>
  );
}
