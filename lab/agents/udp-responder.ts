/**
 * DNS-like UDP responder run inside the target namespace. It replies to a query that has a DNS
 * header with one question, echoing the question with one A record. Anything else gets no reply,
 * so a UDP flood to the same port is absorbed without replies.
 *
 * Usage: node --import tsx lab/agents/udp-responder.ts '{"port":53}'
 */
import { createSocket } from 'node:dgram';

const DNS_HEADER_BYTES = 12;
const QUESTION_TAIL_BYTES = 4;

interface ResponderOptions {
  port: number;
}

const options = JSON.parse(process.argv[2] ?? '{"port":53}') as ResponderOptions;

/** Returns the end offset of the question section, or -1 when the name is malformed. */
function questionEnd(query: Buffer): number {
  let offset = DNS_HEADER_BYTES;
  while (offset < query.length) {
    const labelLength = query[offset];
    if (labelLength === 0) return offset + 1 + QUESTION_TAIL_BYTES <= query.length ? offset + 1 + QUESTION_TAIL_BYTES : -1;
    if (labelLength > 63) return -1;
    offset += labelLength + 1;
  }
  return -1;
}

function answer(query: Buffer): Buffer | undefined {
  if (query.length < DNS_HEADER_BYTES + 5) return undefined;
  const isQuery = (query[2] & 0x80) === 0;
  const questionCount = query.readUInt16BE(4);
  if (!isQuery || questionCount !== 1) return undefined;
  const end = questionEnd(query);
  if (end < 0) return undefined;

  const header = Buffer.from(query.subarray(0, DNS_HEADER_BYTES));
  header[2] = 0x80 | (query[2] & 0x01); // QR set, recursion-desired copied
  header[3] = 0x80; // recursion available, no error
  header.writeUInt16BE(1, 6); // one answer
  header.writeUInt16BE(0, 8);
  header.writeUInt16BE(0, 10);
  const record = Buffer.alloc(16);
  record.writeUInt16BE(0xc00c, 0); // name: pointer to the question
  record.writeUInt16BE(1, 2); // type A
  record.writeUInt16BE(1, 4); // class IN
  record.writeUInt32BE(60, 6); // TTL seconds
  record.writeUInt16BE(4, 10);
  record.set([10, 231, 2, 10 + (query[1] % 20)], 12);
  return Buffer.concat([header, query.subarray(DNS_HEADER_BYTES, end), record]);
}

let answered = 0;
let ignored = 0;
const socket = createSocket({ type: 'udp6', ipv6Only: false });
socket.on('message', (message, remote) => {
  const reply = answer(message);
  if (!reply) {
    ignored++;
    return;
  }
  answered++;
  socket.send(reply, remote.port, remote.address);
});
socket.on('error', (err) => {
  process.stderr.write(`udp-responder: ${err.message}\n`);
  process.exit(1);
});
socket.bind(options.port, '::', () => process.stdout.write(`listening on udp port ${options.port}\n`));

process.on('SIGTERM', () => {
  process.stdout.write(`${JSON.stringify({ answered, ignored })}\n`);
  socket.close();
  process.exit(0);
});
