import { FieldResolver, Resolver, Root } from 'type-graphql';
import type { Device } from '../../db/entities';
import { Sensitive } from '../directives';
import { toIso } from '../../request/context';
import { Device as DeviceType, GeoPoint } from '../types/Device';

@Resolver(() => DeviceType)
export class DeviceResolver {
  @Sensitive('location.precise')
  @FieldResolver(() => GeoPoint, { nullable: true })
  location(@Root() d: Device): GeoPoint | null {
    return d.lat == null || d.lng == null ? null : { lat: d.lat, lng: d.lng, accuracyM: d.accuracyM ?? 0 };
  }

  @FieldResolver(() => String, { nullable: true })
  lastSeenAt(@Root() d: Device): string | null {
    return toIso(d.lastSeenAt);
  }
}
