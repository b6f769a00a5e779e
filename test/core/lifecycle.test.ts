import { describe, expect, it } from 'vitest';
import { Component } from '../../src/lifecycle.ts';

class Recorder extends Component {
  calls: string[] = [];
  protected async onStart() {
    this.calls.push('start');
  }
  protected async onClose() {
    this.calls.push('close');
  }
  protected async onDestroy() {
    this.calls.push('destroy');
  }
  crash(err: Error) {
    this.fail(err);
  }
}

describe('Component lifecycle', () => {
  it('runs each hook once when called twice', async () => {
    const component = new Recorder('recorder');
    await Promise.all([component.start(), component.start()]);
    expect(component.state).toBe('running');
    await Promise.all([component.close(), component.close()]);
    expect(component.state).toBe('closed');
    expect(component.calls).toEqual(['start', 'close']);
  });

  it('reports a failure while running through the error event', async () => {
    const component = new Recorder('recorder');
    const errors: Error[] = [];
    component.on('error', (err) => errors.push(err));
    await component.start();
    component.crash(new Error('capture interface vanished'));
    expect(component.state).toBe('failed');
    expect(errors.map((err) => err.message)).toEqual(['capture interface vanished']);
  });

  it('closes without starting', async () => {
    const component = new Recorder('recorder');
    await component.close();
    expect(component.calls).toEqual([]);
    expect(component.state).toBe('closed');
  });
});
