import { mkdtempSync, rmSync } from 'fs';
import { join } from 'path';
import { Testing } from 'cdktf';

Testing.setupJest();

// cdktf's Testing makes a temp dir per synth and never removes it: each test file's go under a
// temp root of its own, removed when the file is done. (The module object itself: cdktf calls it.)
const os: typeof import('os') = require('os');
const fileTemp = mkdtempSync(join(os.tmpdir(), 'mha-unit-'));
const tmpdir = jest.spyOn(os, 'tmpdir').mockReturnValue(fileTemp);
afterAll(() => {
  tmpdir.mockRestore();
  rmSync(fileTemp, { recursive: true, force: true });
});
