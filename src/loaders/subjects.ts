import type DataLoader from 'dataloader';
import type { Consent, User } from '../db/entities';

/** What enforcement needs to know about one data subject, loaded once per request. */
export interface Subject {
  readonly id: number;
  readonly erased: boolean;
  readonly birthDate: string | null;
  readonly consents: readonly Consent[];
}

/**
 * The request's data subjects, filled by the loaders as rows arrive, read synchronously by
 * enforcement (`peek`), so that deciding a field never waits.
 */
export class SubjectCache {
  private readonly subjects = new Map<number, Subject>();
  private userById: DataLoader<number, User | null> | null = null;

  constructor(private readonly consentsByUser: DataLoader<number, Consent[]>) {}

  attachUserLoader(loader: DataLoader<number, User | null>): void {
    this.userById = loader;
  }

  peek(userId: number): Subject | undefined {
    return this.subjects.get(userId);
  }

  /** Record the subjects of freshly loaded user rows, with their consents (one batched query). */
  async addUsers(users: readonly User[]): Promise<void> {
    const missing = users.filter((u) => !this.subjects.has(u.id));
    if (!missing.length) return;
    const consents = await this.consentsByUser.loadMany(missing.map((u) => u.id));
    missing.forEach((u, i) => {
      const c = consents[i];
      if (c instanceof Error) throw c;
      this.subjects.set(u.id, Object.freeze({ id: u.id, erased: u.erasedAt != null, birthDate: u.birthDate, consents: c }));
    });
  }

  /** Make sure the subjects with these ids are known (through the user loader, which calls addUsers). */
  async ensure(userIds: readonly number[]): Promise<void> {
    const missing = [...new Set(userIds)].filter((id) => !this.subjects.has(id));
    if (!missing.length || !this.userById) return;
    const users = await this.userById.loadMany(missing);
    for (const u of users) if (u instanceof Error) throw u;
  }
}
