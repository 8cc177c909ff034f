import { Field, ID, ObjectType } from 'type-graphql';
import { Sensitive } from '../directives';
import { Gender } from './enums';

@ObjectType({ description: 'A data subject. Every personal field is released per the declared purpose.' })
export class User {
  @Field(() => ID)
  id!: number;

  @Sensitive('profile.basic')
  @Field(() => String, { nullable: true })
  username!: string | null;

  @Sensitive('profile.basic')
  @Field(() => String, { nullable: true })
  nickname!: string | null;

  @Sensitive('profile.basic')
  @Field(() => String, { nullable: true })
  avatarUrl!: string | null;

  @Sensitive('profile.extended')
  @Field(() => Gender, { nullable: true })
  gender!: string | null;

  @Sensitive('profile.extended')
  @Field(() => String, { nullable: true })
  signature!: string | null;

  @Sensitive('identity.name')
  @Field(() => String, { nullable: true })
  realName!: string | null;

  @Sensitive('identity.birthdate')
  @Field(() => String, { nullable: true, description: 'YYYY-MM-DD' })
  birthDate!: string | null;

  @Sensitive('contact.phone')
  @Field(() => String, { nullable: true })
  phone!: string | null;

  @Sensitive('location.coarse')
  @Field(() => String, { nullable: true })
  city!: string | null;
}
