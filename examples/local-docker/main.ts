// `cdktf synth` / `cdktf deploy` entry point (see cdktf.json); `npm run example:up` runs it.
import { App } from 'cdktf';
import { LocalHaStack } from './stack';

const app = new App();
new LocalHaStack(app, 'local-ha');
app.synth();
