import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { Sensitive } from '../directives';

@ObjectType()
export class GeoPoint {
  @Field(() => Float)
  lat!: number;

  @Field(() => Float)
  lng!: number;

  @Field(() => Int)
  accuracyM!: number;
}

@ObjectType()
export class Device {
  @Field(() => ID)
  id!: number;

  @Sensitive('device.info')
  @Field(() => String, { nullable: true })
  model!: string | null;

  @Sensitive('device.info')
  @Field(() => String, { nullable: true })
  osVersion!: string | null;

  @Sensitive('device.identifier')
  @Field(() => String, { nullable: true, description: 'IMEI / Android ID / IDFA' })
  deviceId!: string | null;

  @Sensitive('device.identifier')
  @Field(() => String, { nullable: true })
  macAddress!: string | null;

  @Sensitive('location.network')
  @Field(() => String, { nullable: true })
  ipAddress!: string | null;

  @Sensitive('location.precise')
  @Field(() => String, { nullable: true })
  wifiBssid!: string | null;

  @Sensitive('location.coarse')
  @Field(() => String, { nullable: true })
  city!: string | null;
}
