// moto's server mode on 127.0.0.1 as the AWS API for live tests, and plain HTTP reads of what
// Terraform created there (moto does not check signatures), independent of Terraform.
import { ChildProcess, spawn } from 'child_process';
import { createServer } from 'net';

export interface Moto {
  readonly url: string;
  stop(): Promise<void>;
  readonly log: () => string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    }).on('error', reject);
  });
}

export async function startMoto(): Promise<Moto> {
  const python = process.env.MARIADB_HA_MOTO_PYTHON;
  if (!python) throw new Error('MARIADB_HA_MOTO_PYTHON is not set: run scripts/toolchain.sh (it installs moto[server] from PyPI) and source .local/toolchain.env');
  const port = await freePort();
  let output = '';
  const child: ChildProcess = spawn(python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => { output += d; });
  child.stderr!.on('data', (d) => { output = (output + d).slice(-20_000); });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/moto-api/data.json`)).ok) break;
    } catch { /* not listening yet */ }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`moto did not start on ${url}:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    log: () => output,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => { child.once('exit', r); setTimeout(r, 5000); });
    },
  };
}

export interface RecordSet {
  readonly name: string;
  readonly setIdentifier?: string;
  readonly failover?: string;
  readonly ttl?: number;
  readonly values: string[];
  readonly healthCheckId?: string;
}

/** moto routes a request to a service by its signature's credential scope; it checks no signature. */
function signedFor(service: string, region = 'us-east-1'): Record<string, string> {
  return { Authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0` };
}

const tag = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

/** The zone's record sets, as Route 53's API returns them. */
export async function recordSets(url: string, zoneId: string): Promise<RecordSet[]> {
  const response = await fetch(`${url}/2013-04-01/hostedzone/${zoneId}/rrset`, { headers: signedFor('route53') });
  const xml = await response.text();
  if (!response.ok) throw new Error(`ListResourceRecordSets: ${response.status} ${xml}`);
  return [...xml.matchAll(/<ResourceRecordSet>([\s\S]*?)<\/ResourceRecordSet>/g)].map(([, set]) => ({
    name: tag(set, 'Name')!,
    setIdentifier: tag(set, 'SetIdentifier'),
    failover: tag(set, 'Failover'),
    ttl: tag(set, 'TTL') === undefined ? undefined : Number(tag(set, 'TTL')),
    values: [...set.matchAll(/<Value>([^<]*)<\/Value>/g)].map((m) => m[1]),
    healthCheckId: tag(set, 'HealthCheckId'),
  }));
}

/** An AMI moto knows (its instances must name one). */
export async function someImageId(url: string): Promise<string> {
  const xml = await (await fetch(`${url}/?Action=DescribeImages&Version=2016-11-15`, { headers: signedFor('ec2') })).text();
  const id = /<imageId>(ami-[0-9a-f]+)<\/imageId>/.exec(xml)?.[1];
  if (!id) throw new Error(`moto lists no image: ${xml.slice(0, 500)}`);
  return id;
}

/** An SSM parameter's decrypted value. */
export async function parameterValue(url: string, name: string): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...signedFor('ssm'), 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'AmazonSSM.GetParameter' },
    body: JSON.stringify({ Name: name, WithDecryption: true }),
  });
  const body = await response.json() as any;
  if (!response.ok) throw new Error(`GetParameter ${name}: ${JSON.stringify(body)}`);
  return body.Parameter.Value;
}
