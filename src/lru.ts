/**
 * The value for `key` in `cache`, a Map kept in least-recently-used order (a hit moves to the
 * end); on a miss `make()` makes it, and past `limit` entries the least recently used goes.
 */
export function lruGet<K, V>(cache: Map<K, V>, key: K, make: () => V, limit: number): V {
  let value = cache.get(key);
  if (value !== undefined) {
    cache.delete(key);
  } else {
    value = make();
    if (cache.size >= limit) cache.delete(cache.keys().next().value!);
  }
  cache.set(key, value);
  return value;
}
