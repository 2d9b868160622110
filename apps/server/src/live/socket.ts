// The typed socket.io server and socket of the live streams.
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents, SocketData } from '@patchbay/protocol';
import type { Server, Socket } from 'socket.io';

export type LiveSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type LiveIo = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
