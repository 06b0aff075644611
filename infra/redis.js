// The Redis side of deployed stages, chosen by the param redisMode (README "Deploying to
// AWS"). serverless.yml reads four things from this file through ${file(infra/redis.js):...}:
//
//   resources  the CloudFormation resources (redisMode create only, else none)
//   outputs    the stack outputs of those resources
//   vpc        the `vpc` of the functions that use Redis (false: no VPC)
//   url        REDIS_URL of every function; cluster: REDIS_CLUSTER
//   egress     VPC_EGRESS: "none" (create without a NAT gateway), "nat", or "" (unknown)
//
// Modes:
//   create    a VPC with private subnets in two Availability Zones and no route to the
//             internet (unless vpcNatGateway), endpoints for DynamoDB (gateway), SQS and
//             SSM (interface, private DNS), and an ElastiCache cluster: Valkey (or Redis
//             OSS 7+), cluster mode with redisShards shards of 1 + redisReplicasPerShard
//             nodes, Multi-AZ with automatic failover, TLS required, encrypted at rest,
//             AUTH token from the SecureString <redisPasswordParameter> (the one the
//             functions read at cold start, lib/secrets.ts). The functions reach it over
//             rediss:// on its configuration endpoint, with REDIS_CLUSTER=true.
//   existing  a cluster that exists: REDIS_URL from redisExistingEndpoint, REDIS_CLUSTER
//             from redisCluster; the Redis functions run in existingVpcSubnetIds with
//             existingSecurityGroupIds. Nothing is created.
//   none      no VPC: REDIS_URL and REDIS_CLUSTER from redisUrl and redisCluster (local
//             stages always; a deployed stage whose Redis needs no VPC).
//
// Security groups: the functions' group may reach the cluster's on 6379 and anything on
// 443 (the endpoints; DynamoDB's gateway endpoint is reached at DynamoDB's public
// addresses, routed through the endpoint); the cluster's group accepts only 6379 from
// the functions' group and the endpoints' group only 443 from it. Neither sends anything.
// infra/monitoring.js adds the cluster's alarms; test/e2e/deploy-config.test.ts checks
// the packaged template.
'use strict';

const MODES = ['create', 'existing', 'none'];
const AZ_COUNT = 2;
const PORT = 6379;
const NO_EGRESS = [{ IpProtocol: 'icmp', FromPort: 252, ToPort: 86, CidrIp: '255.255.255.255/32', Description: 'No outbound traffic' }];

const list = (value) =>
  String(value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
const flag = (value) => value === true || String(value).toLowerCase() === 'true';
const integer = (name, value, min) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`param ${name} must be an integer >= ${min} (got "${value}")`);
  return n;
};

/**
 * A replication group id ElastiCache accepts (1-40 lowercase letters, digits and single
 * hyphens, starting with a letter), fixed per stage so the alarms can name its nodes, and
 * so an update that would replace the cluster (losing every queue) fails instead.
 */
function replicationGroupId(service, stage) {
  let id = `${service}-${stage}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[^a-z]+/, '');
  id = id.slice(0, 40).replace(/-+$/, '');
  if (!id) throw new Error(`cannot make an ElastiCache replication group id from "${service}-${stage}"`);
  return id;
}

/** The stage's Redis settings from its params. */
async function settings(resolveVariable) {
  const stageKind = await resolveVariable('self:custom.stageKind');
  const requested = String(await resolveVariable('param:redisMode'));
  if (!MODES.includes(requested)) throw new Error(`param redisMode must be one of ${MODES.join(', ')} (got "${requested}")`);
  // Local stages (npm start, the tests) never get a VPC or AWS resources.
  const mode = stageKind === 'local' ? 'none' : requested;
  const s = { mode };
  if (mode === 'create') {
    const service = await resolveVariable('self:service');
    const stage = await resolveVariable('sls:stage');
    Object.assign(s, {
      service,
      stage,
      replicationGroupId: replicationGroupId(service, stage),
      engine: String(await resolveVariable('param:redisEngine')),
      engineVersion: String(await resolveVariable('param:redisEngineVersion')),
      nodeType: String(await resolveVariable('param:redisNodeType')),
      shards: integer('redisShards', await resolveVariable('param:redisShards'), 1),
      // Multi-AZ with automatic failover needs a replica in every shard.
      replicasPerShard: integer('redisReplicasPerShard', await resolveVariable('param:redisReplicasPerShard'), 1),
      passwordParameter: String(await resolveVariable('param:redisPasswordParameter')),
      vpcCidr: String(await resolveVariable('param:vpcCidr')),
      natGateway: flag(await resolveVariable('param:vpcNatGateway')),
    });
    const major = Number(s.engineVersion.split('.')[0]);
    if (!['valkey', 'redis'].includes(s.engine) || !(major >= 7)) {
      throw new Error(`params redisEngine/redisEngineVersion must be valkey or redis, version 7 or later (got ${s.engine} ${s.engineVersion})`);
    }
    s.parameterGroup = `default.${s.engine}${major}.cluster.on`;
    if (!s.passwordParameter.startsWith('/')) throw new Error('redisMode create needs param redisPasswordParameter (an SSM SecureString with the AUTH token)');
    if (!/^\d+\.\d+\.\d+\.\d+\/(1[6-9]|2[0-4])$/.test(s.vpcCidr)) throw new Error(`param vpcCidr must be an IPv4 block from /16 to /24 (got "${s.vpcCidr}")`);
  } else if (mode === 'existing') {
    const endpoint = String(await resolveVariable('param:redisExistingEndpoint')).trim();
    Object.assign(s, {
      url: endpoint.includes('://') ? endpoint : `rediss://${endpoint}`,
      cluster: String(await resolveVariable('param:redisCluster')),
      subnetIds: list(await resolveVariable('param:existingVpcSubnetIds')),
      securityGroupIds: list(await resolveVariable('param:existingSecurityGroupIds')),
    });
    if (!endpoint) throw new Error('redisMode existing needs param redisExistingEndpoint (the cluster\'s configuration endpoint, host:port)');
    if (s.subnetIds.length === 0 || s.securityGroupIds.length === 0) {
      throw new Error('redisMode existing needs params existingVpcSubnetIds and existingSecurityGroupIds (comma-separated) for the functions that use Redis');
    }
  } else {
    Object.assign(s, {
      url: await resolveVariable('param:redisUrl'),
      cluster: String(await resolveVariable('param:redisCluster')),
    });
  }
  return s;
}

/** The cluster's node ids (CacheClusterId of its CloudWatch metrics), shard by shard. */
function nodeIds(s) {
  const ids = [];
  for (let shard = 1; shard <= s.shards; shard++) {
    for (let node = 1; node <= s.replicasPerShard + 1; node++) {
      ids.push(`${s.replicationGroupId}-${String(shard).padStart(4, '0')}-${String(node).padStart(3, '0')}`);
    }
  }
  return ids;
}

const subnetIds = () => Array.from({ length: AZ_COUNT }, (_, i) => ({ Ref: `PrivateSubnet${i + 1}` }));
const configurationEndpoint = () => ({
  'Fn::Join': [
    '',
    [
      'rediss://',
      { 'Fn::GetAtt': ['RedisReplicationGroup', 'ConfigurationEndPoint.Address'] },
      ':',
      { 'Fn::GetAtt': ['RedisReplicationGroup', 'ConfigurationEndPoint.Port'] },
    ],
  ],
});

function resources(s) {
  const name = (what) => [{ Key: 'Name', Value: `${s.service}-${s.stage}-${what}` }];
  const vpc = { Ref: 'Vpc' };
  const prefix = Number(s.vpcCidr.split('/')[1]);
  // Four equal blocks: the private subnets, and room for the public one of the NAT gateway.
  const cidr = (i) => ({ 'Fn::Select': [i, { 'Fn::Cidr': [{ 'Fn::GetAtt': ['Vpc', 'CidrBlock'] }, 4, String(32 - prefix - 2)] }] });
  const az = (i) => ({ 'Fn::Select': [i, { 'Fn::GetAZs': '' }] });

  const r = {
    Vpc: {
      Type: 'AWS::EC2::VPC',
      // Private DNS of the interface endpoints needs both.
      Properties: { CidrBlock: s.vpcCidr, EnableDnsSupport: true, EnableDnsHostnames: true, Tags: name('vpc') },
    },
    PrivateRouteTable: { Type: 'AWS::EC2::RouteTable', Properties: { VpcId: vpc, Tags: name('private') } },
  };
  for (let i = 0; i < AZ_COUNT; i++) {
    r[`PrivateSubnet${i + 1}`] = {
      Type: 'AWS::EC2::Subnet',
      Properties: { VpcId: vpc, AvailabilityZone: az(i), CidrBlock: cidr(i), MapPublicIpOnLaunch: false, Tags: name(`private-${i + 1}`) },
    };
    r[`PrivateSubnet${i + 1}RouteTableAssociation`] = {
      Type: 'AWS::EC2::SubnetRouteTableAssociation',
      Properties: { SubnetId: { Ref: `PrivateSubnet${i + 1}` }, RouteTableId: { Ref: 'PrivateRouteTable' } },
    };
  }

  // Security groups.
  r.RedisClientSecurityGroup = {
    Type: 'AWS::EC2::SecurityGroup',
    Properties: {
      GroupDescription: `${s.service}-${s.stage}: Lambda functions that use Redis`,
      VpcId: vpc,
      SecurityGroupEgress: [
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0', Description: 'HTTPS: DynamoDB, SQS and SSM through the VPC endpoints' },
      ],
      Tags: name('redis-clients'),
    },
  };
  r.RedisSecurityGroup = {
    Type: 'AWS::EC2::SecurityGroup',
    Properties: { GroupDescription: `${s.service}-${s.stage}: ElastiCache cluster`, VpcId: vpc, SecurityGroupEgress: NO_EGRESS, Tags: name('redis') },
  };
  // Separate rules: each group names the other.
  r.RedisClientToRedisEgress = {
    Type: 'AWS::EC2::SecurityGroupEgress',
    Properties: {
      GroupId: { 'Fn::GetAtt': ['RedisClientSecurityGroup', 'GroupId'] },
      IpProtocol: 'tcp',
      FromPort: PORT,
      ToPort: PORT,
      DestinationSecurityGroupId: { 'Fn::GetAtt': ['RedisSecurityGroup', 'GroupId'] },
      Description: 'Redis (TLS)',
    },
  };
  r.RedisFromRedisClientIngress = {
    Type: 'AWS::EC2::SecurityGroupIngress',
    Properties: {
      GroupId: { 'Fn::GetAtt': ['RedisSecurityGroup', 'GroupId'] },
      IpProtocol: 'tcp',
      FromPort: PORT,
      ToPort: PORT,
      SourceSecurityGroupId: { 'Fn::GetAtt': ['RedisClientSecurityGroup', 'GroupId'] },
      Description: 'Redis (TLS) from the functions that use it',
    },
  };
  r.VpcEndpointSecurityGroup = {
    Type: 'AWS::EC2::SecurityGroup',
    Properties: {
      GroupDescription: `${s.service}-${s.stage}: SQS and SSM interface endpoints`,
      VpcId: vpc,
      SecurityGroupIngress: [
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, SourceSecurityGroupId: { 'Fn::GetAtt': ['RedisClientSecurityGroup', 'GroupId'] }, Description: 'HTTPS from the functions in the VPC' },
      ],
      SecurityGroupEgress: NO_EGRESS,
      Tags: name('endpoints'),
    },
  };

  // What the functions in the VPC call besides Redis: DynamoDB (tables), SQS (the release
  // queue) and SSM (their secrets at cold start), without a NAT gateway.
  r.DynamoDbVpcEndpoint = {
    Type: 'AWS::EC2::VPCEndpoint',
    Properties: {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Sub': 'com.amazonaws.${AWS::Region}.dynamodb' },
      VpcId: vpc,
      RouteTableIds: [{ Ref: 'PrivateRouteTable' }],
    },
  };
  for (const [id, service] of [
    ['SqsVpcEndpoint', 'sqs'],
    ['SsmVpcEndpoint', 'ssm'],
  ]) {
    r[id] = {
      Type: 'AWS::EC2::VPCEndpoint',
      Properties: {
        VpcEndpointType: 'Interface',
        ServiceName: { 'Fn::Sub': `com.amazonaws.\${AWS::Region}.${service}` },
        VpcId: vpc,
        SubnetIds: subnetIds(),
        SecurityGroupIds: [{ 'Fn::GetAtt': ['VpcEndpointSecurityGroup', 'GroupId'] }],
        PrivateDnsEnabled: true,
      },
    };
  }

  if (s.natGateway) Object.assign(r, natGateway(name, cidr, az));

  r.RedisSubnetGroup = {
    Type: 'AWS::ElastiCache::SubnetGroup',
    Properties: { Description: `${s.service}-${s.stage}: private subnets of the Redis cluster`, SubnetIds: subnetIds() },
  };
  r.RedisReplicationGroup = {
    Type: 'AWS::ElastiCache::ReplicationGroup',
    // The waiting rooms live here: a deletion or replacement keeps a final snapshot.
    DeletionPolicy: 'Snapshot',
    UpdateReplacePolicy: 'Snapshot',
    Properties: {
      ReplicationGroupId: s.replicationGroupId,
      ReplicationGroupDescription: `${s.service} ${s.stage}: waiting rooms, seat claims, abuse limits`,
      Engine: s.engine,
      EngineVersion: s.engineVersion,
      CacheParameterGroupName: s.parameterGroup,
      CacheNodeType: s.nodeType,
      ClusterMode: 'enabled',
      NumNodeGroups: s.shards,
      ReplicasPerNodeGroup: s.replicasPerShard,
      MultiAZEnabled: true,
      AutomaticFailoverEnabled: true,
      // TLS only (TransitEncryptionMode defaults to required; preferred is for migrations).
      TransitEncryptionEnabled: true,
      AtRestEncryptionEnabled: true,
      // Resolved by CloudFormation when it creates or updates the cluster; never in the
      // template (ssm-secure is supported for this property).
      AuthToken: `{{resolve:ssm-secure:${s.passwordParameter}}}`,
      Port: PORT,
      CacheSubnetGroupName: { Ref: 'RedisSubnetGroup' },
      SecurityGroupIds: [{ 'Fn::GetAtt': ['RedisSecurityGroup', 'GroupId'] }],
      AutoMinorVersionUpgrade: true,
      SnapshotRetentionLimit: 1,
      Tags: name('redis'),
    },
  };
  return r;
}

/** Opt-in (param vpcNatGateway): one NAT gateway, for calls that leave AWS (an identity provider's JWKS). */
function natGateway(name, cidr, az) {
  return {
    InternetGateway: { Type: 'AWS::EC2::InternetGateway', Properties: { Tags: name('igw') } },
    InternetGatewayAttachment: { Type: 'AWS::EC2::VPCGatewayAttachment', Properties: { VpcId: { Ref: 'Vpc' }, InternetGatewayId: { Ref: 'InternetGateway' } } },
    PublicSubnet1: {
      Type: 'AWS::EC2::Subnet',
      Properties: { VpcId: { Ref: 'Vpc' }, AvailabilityZone: az(0), CidrBlock: cidr(AZ_COUNT), MapPublicIpOnLaunch: false, Tags: name('public-1') },
    },
    PublicRouteTable: { Type: 'AWS::EC2::RouteTable', Properties: { VpcId: { Ref: 'Vpc' }, Tags: name('public') } },
    PublicSubnet1RouteTableAssociation: {
      Type: 'AWS::EC2::SubnetRouteTableAssociation',
      Properties: { SubnetId: { Ref: 'PublicSubnet1' }, RouteTableId: { Ref: 'PublicRouteTable' } },
    },
    PublicDefaultRoute: {
      Type: 'AWS::EC2::Route',
      DependsOn: ['InternetGatewayAttachment'],
      Properties: { RouteTableId: { Ref: 'PublicRouteTable' }, DestinationCidrBlock: '0.0.0.0/0', GatewayId: { Ref: 'InternetGateway' } },
    },
    NatGatewayAddress: { Type: 'AWS::EC2::EIP', DependsOn: ['InternetGatewayAttachment'], Properties: { Domain: 'vpc', Tags: name('nat') } },
    NatGateway: {
      Type: 'AWS::EC2::NatGateway',
      Properties: { SubnetId: { Ref: 'PublicSubnet1' }, AllocationId: { 'Fn::GetAtt': ['NatGatewayAddress', 'AllocationId'] }, Tags: name('nat') },
    },
    PrivateDefaultRoute: {
      Type: 'AWS::EC2::Route',
      Properties: { RouteTableId: { Ref: 'PrivateRouteTable' }, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: { Ref: 'NatGateway' } },
    },
  };
}

module.exports = {
  settings,
  nodeIds,
  resources: async ({ resolveVariable }) => {
    const s = await settings(resolveVariable);
    return s.mode === 'create' ? resources(s) : {};
  },
  outputs: async ({ resolveVariable }) => {
    const s = await settings(resolveVariable);
    if (s.mode !== 'create') return {};
    return {
      RedisConfigurationEndpoint: { Description: 'REDIS_URL of the functions (TLS, cluster mode)', Value: configurationEndpoint() },
      RedisReplicationGroupId: { Value: { Ref: 'RedisReplicationGroup' } },
      VpcId: { Value: { Ref: 'Vpc' } },
    };
  },
  vpc: async ({ resolveVariable }) => {
    const s = await settings(resolveVariable);
    if (s.mode === 'create') return { securityGroupIds: [{ 'Fn::GetAtt': ['RedisClientSecurityGroup', 'GroupId'] }], subnetIds: subnetIds() };
    if (s.mode === 'existing') return { securityGroupIds: s.securityGroupIds, subnetIds: s.subnetIds };
    return false;
  },
  url: async ({ resolveVariable }) => {
    const s = await settings(resolveVariable);
    return s.mode === 'create' ? configurationEndpoint() : s.url;
  },
  egress: async ({ resolveVariable }) => {
    const s = await settings(resolveVariable);
    if (s.mode !== 'create') return '';
    return s.natGateway ? 'nat' : 'none';
  },
  cluster: async ({ resolveVariable }) => {
    const s = await settings(resolveVariable);
    return s.mode === 'create' ? 'true' : s.cluster;
  },
};
