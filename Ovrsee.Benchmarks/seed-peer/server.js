// The seed's stack as a benchmark peer: what its incoming-call route did, nothing more.
// Express parses the form, Twilio's helper validates X-Twilio-Signature over the URL and the
// parameters, node-postgres inserts one row per call (autocommit: one commit each), and the
// answer is TwiML from Twilio's helper. Started by `Ovrsee.Benchmarks compare`; not a service.
//
// Environment: PORT, DATABASE_URL, TWILIO_AUTH_TOKEN, PG_POOL_SIZE (default 32, the benchmark's concurrency), PG_IDLE_TIMEOUT_MS,
// INCOMING_CALL_ROUTE: the benchmark passes WebhookRoutes.IncomingCall, the route it posts to, so both
// stacks answer the same URL. The default is the seed's own route, kept as the seed wrote it (a copy
// Ovrsee.Tests/Deploy/WebhookRouteCopiesTests compares with WebhookRoutes).
const express = require('express');
const twilio = require('twilio');
const { Pool } = require('pg');

const port = Number(process.env.PORT);
const incomingCallRoute = process.env.INCOMING_CALL_ROUTE || '/api/aloha/webhooks/incoming-call';
const authToken = process.env.TWILIO_AUTH_TOKEN;
// PG_IDLE_TIMEOUT_MS: node-postgres closes idle clients after 10 s by default. The benchmark passes 0
// (keep them): 32 PostgreSQL backends exiting at once cost both cores ~0.5 s on the benchmark
// machine, which landed in whichever target ran 10 s after this one (run 1's first slot, pgbench).
const pool = new Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.PG_POOL_SIZE || 32),
  idleTimeoutMillis: Number(process.env.PG_IDLE_TIMEOUT_MS ?? 10000),
});

const app = express();
app.use(express.urlencoded({ extended: false }));

app.get('/health', (_req, res) => res.send('ok'));

app.post(incomingCallRoute, async (req, res) => {
  const url = `http://127.0.0.1:${port}${req.originalUrl}`;
  if (!twilio.validateRequest(authToken, req.header('X-Twilio-Signature') || '', url, req.body)) {
    return res.status(403).send('Invalid signature');
  }
  try {
    await pool.query(
      'INSERT INTO calls (call_sid, account_sid, from_number, to_number, status) VALUES ($1, $2, $3, $4, $5)',
      [req.body.CallSid, req.body.AccountSid, req.body.From, req.body.To, req.body.CallStatus]);
  } catch (err) {
    return res.status(500).send('Database error');
  }
  const twiml = new twilio.twiml.VoiceResponse();
  twiml.say('Thanks for calling. Please leave a message after the tone.');
  twiml.record({ maxLength: 120 });
  res.type('text/xml').send(twiml.toString());
});

const server = app.listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
