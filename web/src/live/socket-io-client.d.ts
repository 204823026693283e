// The part of socket.io's browser client (node_modules/socket.io/client-dist, aliased as 'socket.io-client' by
// scripts/build-web.mjs) that the dashboard uses. socket.io-client's own types are not installed: the hub ships
// only the server package, which carries the client bundle without its .d.ts.
declare module 'socket.io-client' {
  export interface ManagerOptions {
    path?: string;
    transports?: string[];
    reconnectionDelayMax?: number;
    autoConnect?: boolean;
  }
  export interface Socket {
    readonly connected: boolean;
    on(event: string, fn: (...args: any[]) => void): this;
    off(event: string, fn?: (...args: any[]) => void): this;
    emit(event: string, ...args: unknown[]): this;
    timeout(ms: number): { emit(event: string, ...args: unknown[]): void };
    connect(): this;
    disconnect(): this;
    readonly io: { on(event: string, fn: (...args: any[]) => void): void };
  }
  export function io(opts?: ManagerOptions): Socket;
}
