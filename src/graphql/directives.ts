import { DirectiveLocation, GraphQLDirective, GraphQLNonNull, GraphQLString } from 'graphql';
import { Directive } from 'type-graphql';
import type { Category } from '../policy/vocabulary';

/** Marks a personal field with its policy category; enforcement wraps exactly these fields. */
export const sensitiveDirective = new GraphQLDirective({
  name: 'sensitive',
  description: 'A personal field: released only as the policy decides for the declared purpose, and audited.',
  locations: [DirectiveLocation.FIELD_DEFINITION],
  args: {
    category: { type: new GraphQLNonNull(GraphQLString), description: 'The policy category of the value.' },
    cardCategory: { type: GraphQLString, description: 'The category instead, when the row is a bank card (PaymentAccount.accountNo).' },
  },
});

/** type-graphql decorator: `@Sensitive('contact.phone')` on a field emits `@sensitive(category: "contact.phone")`. */
export function Sensitive(category: Category, cardCategory?: Category): MethodDecorator & PropertyDecorator {
  const extra = cardCategory ? `, cardCategory: ${JSON.stringify(cardCategory)}` : '';
  return Directive(`@sensitive(category: ${JSON.stringify(category)}${extra})`);
}
