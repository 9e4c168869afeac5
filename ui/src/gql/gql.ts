/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  mutation Login($email: String!, $password: String!) {\n    login(email: $email, password: $password) {\n      token\n      expiresAt\n      user {\n        id\n        email\n        isSiteAdmin\n        roles {\n          projectId\n          projectName\n          role\n        }\n      }\n    }\n  }\n": typeof types.LoginDocument,
    "\n  query Instances($first: Int, $after: String, $filter: InstanceFilter) {\n    instances(first: $first, after: $after, filter: $filter) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        id\n        name\n        provider\n        version\n        storageGb\n        state\n        health\n        host\n        port\n        latencyMs\n        lastCheckedAt\n        createdAt\n        updatedAt\n      }\n    }\n  }\n": typeof types.InstancesDocument,
    "\n  subscription InstanceUpdated($id: ID) {\n    instanceUpdated(id: $id) {\n      id\n      name\n      state\n      health\n      failureReason\n      host\n      port\n      latencyMs\n      lastCheckedAt\n      serverVersion\n      updatedAt\n    }\n  }\n": typeof types.InstanceUpdatedDocument,
    "\n  query InstanceDetail($id: ID!, $checks: Int!) {\n    instance(id: $id) {\n      id\n      projectId\n      name\n      provider\n      version\n      storageGb\n      state\n      health\n      failureReason\n      username\n      database\n      host\n      port\n      connectionString\n      lastCheckedAt\n      latencyMs\n      serverVersion\n      createdAt\n      updatedAt\n      healthChecks(last: $checks) {\n        checkedAt\n        healthy\n        latencyMs\n        error\n      }\n      operations(first: 10) {\n        id\n        kind\n        status\n        step\n        attempts\n        error\n        createdAt\n        finishedAt\n      }\n    }\n  }\n": typeof types.InstanceDetailDocument,
    "\n  query Versions {\n    versions\n  }\n": typeof types.VersionsDocument,
    "\n  mutation CreateInstance($input: CreateInstanceInput!) {\n    createInstance(input: $input) {\n      instance {\n        id\n        name\n        state\n      }\n      operation {\n        id\n      }\n    }\n  }\n": typeof types.CreateInstanceDocument,
    "\n  mutation StopInstance($id: ID!) {\n    stopInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n": typeof types.StopInstanceDocument,
    "\n  mutation StartInstance($id: ID!) {\n    startInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n": typeof types.StartInstanceDocument,
    "\n  mutation RestartInstance($id: ID!) {\n    restartInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n": typeof types.RestartInstanceDocument,
    "\n  mutation DeleteInstance($id: ID!) {\n    deleteInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n": typeof types.DeleteInstanceDocument,
    "\n  query Operations($first: Int, $after: String, $filter: OperationFilter) {\n    operations(first: $first, after: $after, filter: $filter) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        id\n        kind\n        targetKind\n        targetId\n        status\n        step\n        attempts\n        maxAttempts\n        error\n        createdAt\n        updatedAt\n        finishedAt\n      }\n    }\n  }\n": typeof types.OperationsDocument,
    "\n  query OperationDetail($id: ID!) {\n    operation(id: $id) {\n      ...OperationFull\n    }\n  }\n": typeof types.OperationDetailDocument,
    "\n  fragment OperationFull on Operation {\n    id\n    projectId\n    kind\n    targetKind\n    targetId\n    status\n    step\n    attempts\n    maxAttempts\n    error\n    createdAt\n    updatedAt\n    startedAt\n    finishedAt\n    steps {\n      seq\n      step\n      enteredAt\n    }\n  }\n": typeof types.OperationFullFragmentDoc,
    "\n  subscription OperationUpdated($id: ID) {\n    operationUpdated(id: $id) {\n      ...OperationFull\n    }\n  }\n": typeof types.OperationUpdatedDocument,
    "\n  fragment ClusterHealthFields on ClusterHealth {\n    cpuPercent\n    memoryPercent\n    sampledAt\n    source\n    available\n    unavailableSince\n    message\n    servers {\n      serverId\n      cpuPercent\n      memoryPercent\n      sampledAt\n    }\n    instances {\n      state\n      health\n      count\n    }\n  }\n": typeof types.ClusterHealthFieldsFragmentDoc,
    "\n  query Cluster($from: DateTime!, $to: DateTime!, $step: Int!) {\n    clusterHealth {\n      ...ClusterHealthFields\n    }\n    serverMetrics(from: $from, to: $to, step: $step) {\n      at\n      cpuPercent\n      memoryPercent\n    }\n  }\n": typeof types.ClusterDocument,
    "\n  subscription ClusterHealthUpdated {\n    clusterHealthUpdated {\n      ...ClusterHealthFields\n    }\n  }\n": typeof types.ClusterHealthUpdatedDocument,
};
const documents: Documents = {
    "\n  mutation Login($email: String!, $password: String!) {\n    login(email: $email, password: $password) {\n      token\n      expiresAt\n      user {\n        id\n        email\n        isSiteAdmin\n        roles {\n          projectId\n          projectName\n          role\n        }\n      }\n    }\n  }\n": types.LoginDocument,
    "\n  query Instances($first: Int, $after: String, $filter: InstanceFilter) {\n    instances(first: $first, after: $after, filter: $filter) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        id\n        name\n        provider\n        version\n        storageGb\n        state\n        health\n        host\n        port\n        latencyMs\n        lastCheckedAt\n        createdAt\n        updatedAt\n      }\n    }\n  }\n": types.InstancesDocument,
    "\n  subscription InstanceUpdated($id: ID) {\n    instanceUpdated(id: $id) {\n      id\n      name\n      state\n      health\n      failureReason\n      host\n      port\n      latencyMs\n      lastCheckedAt\n      serverVersion\n      updatedAt\n    }\n  }\n": types.InstanceUpdatedDocument,
    "\n  query InstanceDetail($id: ID!, $checks: Int!) {\n    instance(id: $id) {\n      id\n      projectId\n      name\n      provider\n      version\n      storageGb\n      state\n      health\n      failureReason\n      username\n      database\n      host\n      port\n      connectionString\n      lastCheckedAt\n      latencyMs\n      serverVersion\n      createdAt\n      updatedAt\n      healthChecks(last: $checks) {\n        checkedAt\n        healthy\n        latencyMs\n        error\n      }\n      operations(first: 10) {\n        id\n        kind\n        status\n        step\n        attempts\n        error\n        createdAt\n        finishedAt\n      }\n    }\n  }\n": types.InstanceDetailDocument,
    "\n  query Versions {\n    versions\n  }\n": types.VersionsDocument,
    "\n  mutation CreateInstance($input: CreateInstanceInput!) {\n    createInstance(input: $input) {\n      instance {\n        id\n        name\n        state\n      }\n      operation {\n        id\n      }\n    }\n  }\n": types.CreateInstanceDocument,
    "\n  mutation StopInstance($id: ID!) {\n    stopInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n": types.StopInstanceDocument,
    "\n  mutation StartInstance($id: ID!) {\n    startInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n": types.StartInstanceDocument,
    "\n  mutation RestartInstance($id: ID!) {\n    restartInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n": types.RestartInstanceDocument,
    "\n  mutation DeleteInstance($id: ID!) {\n    deleteInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n": types.DeleteInstanceDocument,
    "\n  query Operations($first: Int, $after: String, $filter: OperationFilter) {\n    operations(first: $first, after: $after, filter: $filter) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        id\n        kind\n        targetKind\n        targetId\n        status\n        step\n        attempts\n        maxAttempts\n        error\n        createdAt\n        updatedAt\n        finishedAt\n      }\n    }\n  }\n": types.OperationsDocument,
    "\n  query OperationDetail($id: ID!) {\n    operation(id: $id) {\n      ...OperationFull\n    }\n  }\n": types.OperationDetailDocument,
    "\n  fragment OperationFull on Operation {\n    id\n    projectId\n    kind\n    targetKind\n    targetId\n    status\n    step\n    attempts\n    maxAttempts\n    error\n    createdAt\n    updatedAt\n    startedAt\n    finishedAt\n    steps {\n      seq\n      step\n      enteredAt\n    }\n  }\n": types.OperationFullFragmentDoc,
    "\n  subscription OperationUpdated($id: ID) {\n    operationUpdated(id: $id) {\n      ...OperationFull\n    }\n  }\n": types.OperationUpdatedDocument,
    "\n  fragment ClusterHealthFields on ClusterHealth {\n    cpuPercent\n    memoryPercent\n    sampledAt\n    source\n    available\n    unavailableSince\n    message\n    servers {\n      serverId\n      cpuPercent\n      memoryPercent\n      sampledAt\n    }\n    instances {\n      state\n      health\n      count\n    }\n  }\n": types.ClusterHealthFieldsFragmentDoc,
    "\n  query Cluster($from: DateTime!, $to: DateTime!, $step: Int!) {\n    clusterHealth {\n      ...ClusterHealthFields\n    }\n    serverMetrics(from: $from, to: $to, step: $step) {\n      at\n      cpuPercent\n      memoryPercent\n    }\n  }\n": types.ClusterDocument,
    "\n  subscription ClusterHealthUpdated {\n    clusterHealthUpdated {\n      ...ClusterHealthFields\n    }\n  }\n": types.ClusterHealthUpdatedDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Login($email: String!, $password: String!) {\n    login(email: $email, password: $password) {\n      token\n      expiresAt\n      user {\n        id\n        email\n        isSiteAdmin\n        roles {\n          projectId\n          projectName\n          role\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation Login($email: String!, $password: String!) {\n    login(email: $email, password: $password) {\n      token\n      expiresAt\n      user {\n        id\n        email\n        isSiteAdmin\n        roles {\n          projectId\n          projectName\n          role\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Instances($first: Int, $after: String, $filter: InstanceFilter) {\n    instances(first: $first, after: $after, filter: $filter) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        id\n        name\n        provider\n        version\n        storageGb\n        state\n        health\n        host\n        port\n        latencyMs\n        lastCheckedAt\n        createdAt\n        updatedAt\n      }\n    }\n  }\n"): (typeof documents)["\n  query Instances($first: Int, $after: String, $filter: InstanceFilter) {\n    instances(first: $first, after: $after, filter: $filter) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        id\n        name\n        provider\n        version\n        storageGb\n        state\n        health\n        host\n        port\n        latencyMs\n        lastCheckedAt\n        createdAt\n        updatedAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription InstanceUpdated($id: ID) {\n    instanceUpdated(id: $id) {\n      id\n      name\n      state\n      health\n      failureReason\n      host\n      port\n      latencyMs\n      lastCheckedAt\n      serverVersion\n      updatedAt\n    }\n  }\n"): (typeof documents)["\n  subscription InstanceUpdated($id: ID) {\n    instanceUpdated(id: $id) {\n      id\n      name\n      state\n      health\n      failureReason\n      host\n      port\n      latencyMs\n      lastCheckedAt\n      serverVersion\n      updatedAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query InstanceDetail($id: ID!, $checks: Int!) {\n    instance(id: $id) {\n      id\n      projectId\n      name\n      provider\n      version\n      storageGb\n      state\n      health\n      failureReason\n      username\n      database\n      host\n      port\n      connectionString\n      lastCheckedAt\n      latencyMs\n      serverVersion\n      createdAt\n      updatedAt\n      healthChecks(last: $checks) {\n        checkedAt\n        healthy\n        latencyMs\n        error\n      }\n      operations(first: 10) {\n        id\n        kind\n        status\n        step\n        attempts\n        error\n        createdAt\n        finishedAt\n      }\n    }\n  }\n"): (typeof documents)["\n  query InstanceDetail($id: ID!, $checks: Int!) {\n    instance(id: $id) {\n      id\n      projectId\n      name\n      provider\n      version\n      storageGb\n      state\n      health\n      failureReason\n      username\n      database\n      host\n      port\n      connectionString\n      lastCheckedAt\n      latencyMs\n      serverVersion\n      createdAt\n      updatedAt\n      healthChecks(last: $checks) {\n        checkedAt\n        healthy\n        latencyMs\n        error\n      }\n      operations(first: 10) {\n        id\n        kind\n        status\n        step\n        attempts\n        error\n        createdAt\n        finishedAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Versions {\n    versions\n  }\n"): (typeof documents)["\n  query Versions {\n    versions\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateInstance($input: CreateInstanceInput!) {\n    createInstance(input: $input) {\n      instance {\n        id\n        name\n        state\n      }\n      operation {\n        id\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateInstance($input: CreateInstanceInput!) {\n    createInstance(input: $input) {\n      instance {\n        id\n        name\n        state\n      }\n      operation {\n        id\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation StopInstance($id: ID!) {\n    stopInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation StopInstance($id: ID!) {\n    stopInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation StartInstance($id: ID!) {\n    startInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation StartInstance($id: ID!) {\n    startInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RestartInstance($id: ID!) {\n    restartInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation RestartInstance($id: ID!) {\n    restartInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteInstance($id: ID!) {\n    deleteInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation DeleteInstance($id: ID!) {\n    deleteInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Operations($first: Int, $after: String, $filter: OperationFilter) {\n    operations(first: $first, after: $after, filter: $filter) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        id\n        kind\n        targetKind\n        targetId\n        status\n        step\n        attempts\n        maxAttempts\n        error\n        createdAt\n        updatedAt\n        finishedAt\n      }\n    }\n  }\n"): (typeof documents)["\n  query Operations($first: Int, $after: String, $filter: OperationFilter) {\n    operations(first: $first, after: $after, filter: $filter) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        id\n        kind\n        targetKind\n        targetId\n        status\n        step\n        attempts\n        maxAttempts\n        error\n        createdAt\n        updatedAt\n        finishedAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OperationDetail($id: ID!) {\n    operation(id: $id) {\n      ...OperationFull\n    }\n  }\n"): (typeof documents)["\n  query OperationDetail($id: ID!) {\n    operation(id: $id) {\n      ...OperationFull\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment OperationFull on Operation {\n    id\n    projectId\n    kind\n    targetKind\n    targetId\n    status\n    step\n    attempts\n    maxAttempts\n    error\n    createdAt\n    updatedAt\n    startedAt\n    finishedAt\n    steps {\n      seq\n      step\n      enteredAt\n    }\n  }\n"): (typeof documents)["\n  fragment OperationFull on Operation {\n    id\n    projectId\n    kind\n    targetKind\n    targetId\n    status\n    step\n    attempts\n    maxAttempts\n    error\n    createdAt\n    updatedAt\n    startedAt\n    finishedAt\n    steps {\n      seq\n      step\n      enteredAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription OperationUpdated($id: ID) {\n    operationUpdated(id: $id) {\n      ...OperationFull\n    }\n  }\n"): (typeof documents)["\n  subscription OperationUpdated($id: ID) {\n    operationUpdated(id: $id) {\n      ...OperationFull\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ClusterHealthFields on ClusterHealth {\n    cpuPercent\n    memoryPercent\n    sampledAt\n    source\n    available\n    unavailableSince\n    message\n    servers {\n      serverId\n      cpuPercent\n      memoryPercent\n      sampledAt\n    }\n    instances {\n      state\n      health\n      count\n    }\n  }\n"): (typeof documents)["\n  fragment ClusterHealthFields on ClusterHealth {\n    cpuPercent\n    memoryPercent\n    sampledAt\n    source\n    available\n    unavailableSince\n    message\n    servers {\n      serverId\n      cpuPercent\n      memoryPercent\n      sampledAt\n    }\n    instances {\n      state\n      health\n      count\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Cluster($from: DateTime!, $to: DateTime!, $step: Int!) {\n    clusterHealth {\n      ...ClusterHealthFields\n    }\n    serverMetrics(from: $from, to: $to, step: $step) {\n      at\n      cpuPercent\n      memoryPercent\n    }\n  }\n"): (typeof documents)["\n  query Cluster($from: DateTime!, $to: DateTime!, $step: Int!) {\n    clusterHealth {\n      ...ClusterHealthFields\n    }\n    serverMetrics(from: $from, to: $to, step: $step) {\n      at\n      cpuPercent\n      memoryPercent\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ClusterHealthUpdated {\n    clusterHealthUpdated {\n      ...ClusterHealthFields\n    }\n  }\n"): (typeof documents)["\n  subscription ClusterHealthUpdated {\n    clusterHealthUpdated {\n      ...ClusterHealthFields\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;