import { cumulativeOf, Prng, type SeedPart } from './prng.js';

/**
 * The simulated account: who calls the APIs and which resources they touch. Fixed for a seed and
 * an account, so that a day of logs keeps talking about the same users, roles, buckets and keys.
 * All addresses are from the documentation ranges (RFC 5737), all names obviously made up.
 */
export interface Principal {
  readonly type: 'IAMUser' | 'AssumedRole' | 'Root';
  readonly principalId: string;
  readonly arn: string;
  readonly accessKeyIds: readonly string[];
  readonly userName?: string;
  /** The role an assumed-role session comes from. */
  readonly issuer?: { readonly principalId: string; readonly arn: string; readonly userName: string };
  readonly mfa: boolean;
  /** Console sessions (their calls carry `sessionCredentialFromConsole`). */
  readonly console: boolean;
  readonly userAgents: readonly string[];
  readonly sourceIps: readonly string[];
}

export interface World {
  readonly account: string;
  readonly principals: readonly Principal[];
  readonly principalWeights: readonly number[];
  readonly users: readonly string[];
  readonly roles: readonly string[];
  readonly buckets: readonly string[];
  readonly objectKeys: readonly string[];
  readonly instances: readonly string[];
  readonly amis: readonly string[];
  readonly securityGroups: readonly string[];
  readonly subnets: readonly string[];
  readonly vpcs: readonly string[];
  readonly kmsKeys: readonly string[];
  readonly functions: readonly string[];
  readonly tables: readonly string[];
  readonly logGroups: readonly string[];
}

const IAM_ID = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export const USER_AGENTS = {
  cli: [
    'aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.1.79-99.164.amzn2023.x86_64 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#amzn.2023 md/prompt#off',
    'aws-cli/2.17.2 md/awscrt#0.20.11 ua/2.0 os/macos#23.5.0 md/arch#arm64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off',
  ],
  console: ['AWS Internal', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'],
  boto3: [
    'Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#5.10.209-198.858.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.51',
  ],
  go: ['aws-sdk-go-v2/1.26.1 ua/2.0 os/linux lang/go#1.22.2 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.156.0'],
  java: [
    'aws-sdk-java/2.25.40 Linux/5.10.214-202.855.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.11+9-LTS Java/17.0.11 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy',
  ],
  terraform: [
    'APN/1.0 HashiCorp/1.0 Terraform/1.8.2 (+https://www.terraform.io) terraform-provider-aws/5.47.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.26.1 ua/2.0 os/linux lang/go#1.22.2',
  ],
} as const;

function ips(rng: Prng, n: number): string[] {
  const nets = ['192.0.2', '198.51.100', '203.0.113'];
  return Array.from({ length: n }, () => `${rng.pick(nets)}.${rng.range(1, 254)}`);
}

function hexIds(rng: Prng, prefix: string, n: number, len = 17): string[] {
  return Array.from({ length: n }, () => `${prefix}${rng.hex(len)}`);
}

/** The world of `account` for this seed (a pure function of both). */
export function createWorld(seed: SeedPart, account: string): World {
  const rng = Prng.from(seed, 'world', account);
  const iamId = (prefix: string): string => prefix + rng.chars(IAM_ID, 17);
  const accessKey = (prefix: 'AKIA' | 'ASIA'): string => prefix + rng.chars(IAM_ID, 16);

  const principals: Principal[] = [];
  const weights: number[] = [];
  const add = (p: Principal, w: number): void => {
    principals.push(p);
    weights.push(w);
  };

  const users: Array<[string, readonly string[], number]> = [
    ['alice', USER_AGENTS.cli, 6],
    ['bob', [...USER_AGENTS.cli, ...USER_AGENTS.console], 4],
    ['ci-deploy', USER_AGENTS.terraform, 8],
    ['backup-svc', USER_AGENTS.java, 5],
  ];
  for (const [name, agents, w] of users) {
    add(
      {
        type: 'IAMUser',
        principalId: iamId('AIDA'),
        arn: `arn:aws:iam::${account}:user/${name}`,
        accessKeyIds: [accessKey('AKIA')],
        userName: name,
        mfa: false,
        console: false,
        userAgents: agents,
        sourceIps: ips(rng, 2),
      },
      w,
    );
  }

  const sso = `AWSReservedSSO_AdministratorAccess_${rng.hex(16)}`;
  const instance = `i-0${rng.hex(16)}`;
  const roles: Array<[string, string, readonly string[], number, boolean]> = [
    [sso, 'carol@example.com', USER_AGENTS.console, 10, true],
    ['DeployRole', 'GitHubActions', USER_AGENTS.go, 12, false],
    ['orders-api-role', 'orders-api', USER_AGENTS.boto3, 20, false],
    ['ec2-app-role', instance, USER_AGENTS.java, 15, false],
    ['OrganizationAccountAccessRole', 'dave', USER_AGENTS.cli, 2, false],
  ];
  for (const [role, session, agents, w, consoleSession] of roles) {
    const roleId = iamId('AROA');
    add(
      {
        type: 'AssumedRole',
        principalId: `${roleId}:${session}`,
        arn: `arn:aws:sts::${account}:assumed-role/${role}/${session}`,
        accessKeyIds: Array.from({ length: 3 }, () => accessKey('ASIA')),
        issuer: { principalId: roleId, arn: `arn:aws:iam::${account}:role/${role}`, userName: role },
        mfa: consoleSession,
        console: consoleSession,
        userAgents: agents,
        sourceIps: ips(rng, 3),
      },
      w,
    );
  }

  add(
    {
      type: 'Root',
      principalId: account,
      arn: `arn:aws:iam::${account}:root`,
      accessKeyIds: [accessKey('ASIA')],
      mfa: true,
      console: true,
      userAgents: USER_AGENTS.console,
      sourceIps: ips(rng, 1),
    },
    0.5,
  );

  return {
    account,
    principals,
    principalWeights: cumulativeOf(weights),
    users: [...users.map((u) => u[0]), 'eve', 'svc-reporting'],
    roles: [...roles.map((r) => r[0]), 'lambda-basic-execution', 'AWSServiceRoleForSupport'],
    buckets: ['app-assets', 'backups', 'data-lake-raw', 'static-site', 'tf-state'].map((b) => `${b}-${account}`),
    objectKeys: ['index.html', 'exports/2024/report.csv', 'backups/db.dump.gz', 'raw/events/part-00000.parquet', 'terraform.tfstate'],
    instances: [instance, ...hexIds(rng, 'i-0', 7, 16)],
    amis: hexIds(rng, 'ami-0', 3, 16),
    securityGroups: hexIds(rng, 'sg-0', 4, 16),
    subnets: hexIds(rng, 'subnet-0', 4, 16),
    vpcs: hexIds(rng, 'vpc-0', 2, 16),
    kmsKeys: Array.from({ length: 4 }, () => rng.uuid()),
    functions: ['orders-api', 'thumbnailer', 'nightly-report', 'slack-notifier'],
    tables: ['orders', 'sessions', 'customers'],
    logGroups: ['/aws/lambda/orders-api', '/aws/lambda/thumbnailer', '/ecs/web', '/app/audit'],
  };
}
