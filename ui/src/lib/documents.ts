import { graphql } from '../gql';

// Every GraphQL document the dashboard sends. `npm run codegen` types them from ../schema.graphql.

export const LoginMutation = graphql(`
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      token
      expiresAt
      user {
        id
        email
        isSiteAdmin
        roles {
          projectId
          projectName
          role
        }
      }
    }
  }
`);

export const InstancesQuery = graphql(`
  query Instances($first: Int, $after: String, $filter: InstanceFilter) {
    instances(first: $first, after: $after, filter: $filter) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        name
        provider
        version
        storageGb
        state
        health
        host
        port
        latencyMs
        lastCheckedAt
        createdAt
        updatedAt
      }
    }
  }
`);

export const InstanceUpdatedSubscription = graphql(`
  subscription InstanceUpdated($id: ID) {
    instanceUpdated(id: $id) {
      id
      name
      state
      health
      failureReason
      host
      port
      latencyMs
      lastCheckedAt
      serverVersion
      updatedAt
    }
  }
`);

export const InstanceDetailQuery = graphql(`
  query InstanceDetail($id: ID!, $checks: Int!) {
    instance(id: $id) {
      id
      projectId
      name
      provider
      version
      storageGb
      state
      health
      failureReason
      username
      database
      host
      port
      connectionString
      lastCheckedAt
      latencyMs
      serverVersion
      createdAt
      updatedAt
      healthChecks(last: $checks) {
        checkedAt
        healthy
        latencyMs
        error
      }
      operations(first: 10) {
        id
        kind
        status
        step
        attempts
        error
        createdAt
        finishedAt
      }
    }
  }
`);

export const VersionsQuery = graphql(`
  query Versions {
    versions
  }
`);

export const CreateInstanceMutation = graphql(`
  mutation CreateInstance($input: CreateInstanceInput!) {
    createInstance(input: $input) {
      instance {
        id
        name
        state
      }
      operation {
        id
      }
    }
  }
`);

export const StopInstanceMutation = graphql(`
  mutation StopInstance($id: ID!) {
    stopInstance(id: $id) {
      id
      kind
      status
    }
  }
`);

export const StartInstanceMutation = graphql(`
  mutation StartInstance($id: ID!) {
    startInstance(id: $id) {
      id
      kind
      status
    }
  }
`);

export const RestartInstanceMutation = graphql(`
  mutation RestartInstance($id: ID!) {
    restartInstance(id: $id) {
      id
      kind
      status
    }
  }
`);

export const DeleteInstanceMutation = graphql(`
  mutation DeleteInstance($id: ID!) {
    deleteInstance(id: $id) {
      id
      kind
      status
    }
  }
`);

export const OperationsQuery = graphql(`
  query Operations($first: Int, $after: String, $filter: OperationFilter) {
    operations(first: $first, after: $after, filter: $filter) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        kind
        targetKind
        targetId
        status
        step
        attempts
        maxAttempts
        error
        createdAt
        updatedAt
        finishedAt
      }
    }
  }
`);

export const OperationDetailQuery = graphql(`
  query OperationDetail($id: ID!) {
    operation(id: $id) {
      ...OperationFull
    }
  }
`);

export const OperationFullFragment = graphql(`
  fragment OperationFull on Operation {
    id
    projectId
    kind
    targetKind
    targetId
    status
    step
    attempts
    maxAttempts
    error
    createdAt
    updatedAt
    startedAt
    finishedAt
    steps {
      seq
      step
      enteredAt
    }
  }
`);

export const OperationUpdatedSubscription = graphql(`
  subscription OperationUpdated($id: ID) {
    operationUpdated(id: $id) {
      ...OperationFull
    }
  }
`);

export const ClusterHealthFields = graphql(`
  fragment ClusterHealthFields on ClusterHealth {
    cpuPercent
    memoryPercent
    sampledAt
    source
    available
    unavailableSince
    message
    servers {
      serverId
      cpuPercent
      memoryPercent
      sampledAt
    }
    instances {
      state
      health
      count
    }
  }
`);

export const ClusterQuery = graphql(`
  query Cluster($from: DateTime!, $to: DateTime!, $step: Int!) {
    clusterHealth {
      ...ClusterHealthFields
    }
    serverMetrics(from: $from, to: $to, step: $step) {
      at
      cpuPercent
      memoryPercent
    }
  }
`);

export const ClusterHealthUpdatedSubscription = graphql(`
  subscription ClusterHealthUpdated {
    clusterHealthUpdated {
      ...ClusterHealthFields
    }
  }
`);
