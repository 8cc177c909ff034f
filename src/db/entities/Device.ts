import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

@Entity('devices')
export class Device {
  @PrimaryGeneratedColumn()
  id!: number;

  @Index('idx_devices_user')
  @Column({ name: 'user_id', type: 'int' })
  userId!: number;

  @Column({ type: 'varchar', length: 64, nullable: true })
  model!: string | null;

  @Column({ name: 'os_version', type: 'varchar', length: 32, nullable: true })
  osVersion!: string | null;

  /** IMEI / Android ID / IDFA. */
  @Column({ name: 'device_id', type: 'varchar', length: 64, nullable: true })
  deviceId!: string | null;

  @Column({ name: 'mac_address', type: 'varchar', length: 17, nullable: true })
  macAddress!: string | null;

  @Column({ name: 'ip_address', type: 'varchar', length: 45, nullable: true })
  ipAddress!: string | null;

  @Column({ type: 'double', nullable: true })
  lat!: number | null;

  @Column({ type: 'double', nullable: true })
  lng!: number | null;

  @Column({ name: 'accuracy_m', type: 'int', nullable: true })
  accuracyM!: number | null;

  @Column({ name: 'wifi_bssid', type: 'varchar', length: 17, nullable: true })
  wifiBssid!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  city!: string | null;

  @Column({ name: 'last_seen_at', type: 'datetime', nullable: true })
  lastSeenAt!: Date | null;
}
