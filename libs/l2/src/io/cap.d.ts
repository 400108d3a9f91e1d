// Types for the parts of `cap` (libpcap bindings, mscdex/cap 0.2) that Bosun uses.
declare module 'cap' {
  import { EventEmitter } from 'node:events';
  export class Cap extends EventEmitter {
    /** Opens `device` with a BPF `filter`; returns the link type (e.g. 'ETHERNET'). */
    open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
    close(): boolean;
    send(buffer: Buffer, nBytes?: number): void;
    on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): this;
    static findDevice(ip?: string): string | undefined;
    static deviceList(): Array<{ name: string; description?: string; addresses: Array<{ addr: string }> }>;
  }
}
