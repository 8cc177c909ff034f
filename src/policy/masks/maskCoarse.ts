/** A position as the Device.location field carries it. */
export interface GeoPoint {
  readonly lat: number;
  readonly lng: number;
  readonly accuracyM: number | null;
}

/** Metres covered by 0.1 degree of latitude, the precision COARSE leaves. */
export const COARSE_ACCURACY_M = 11000;

function roundToTenth(degrees: number): number {
  // Symmetric rounding (half away from zero) and no negative zero.
  return (Math.sign(degrees) * Math.round(Math.abs(degrees) * 10)) / 10 + 0;
}

function isDegrees(value: unknown, limit: number): value is number {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= limit;
}

/** COARSE (SPEC §4): lat/lng rounded to 1 decimal and accuracyM 11000, `{24.4798, 118.0894, 15}` → `{24.5, 118.1, 11000}`. */
export function maskCoarse(value: unknown): GeoPoint | null {
  try {
    if (typeof value !== 'object' || value === null) return null;
    const { lat, lng } = value as { lat?: unknown; lng?: unknown };
    if (!isDegrees(lat, 90) || !isDegrees(lng, 180)) return null;
    return { lat: roundToTenth(lat), lng: roundToTenth(lng), accuracyM: COARSE_ACCURACY_M };
  } catch {
    return null;
  }
}
