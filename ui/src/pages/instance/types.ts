import type { InstanceDetailQuery } from '../../gql/graphql';

/** An instance as its detail page fetches it. */
export type InstanceData = NonNullable<InstanceDetailQuery['instance']>;
