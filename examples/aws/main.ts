// `cdktf synth --app "npx ts-node --transpile-only examples/aws/main.ts"`: the AWS example (plans need
// `-var ami_id=<Debian 12 AMI>`; `npm test` plans it offline and applies it against moto).
import { App } from 'cdktf';
import { AwsHaStack } from './stack';

const app = new App();
new AwsHaStack(app, 'aws-ha', { region: process.env.AWS_REGION ?? 'eu-west-1' });
app.synth();
