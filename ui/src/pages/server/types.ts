import type { ServerDetailQuery } from '../../gql/graphql';

/** A server as its detail page fetches it. */
export type ServerData = NonNullable<ServerDetailQuery['server']>;
