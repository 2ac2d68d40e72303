import { type AlertConfig, readAlertConfig, startAlerts } from '../alerts/index.js';
import { duration } from '../alerts/message.js';
import { type CoreConfig, EnvReader, loadEnv, readCoreConfig } from '../config/index.js';
import { untilReachable } from '../db/unreachable.js';
import { openGateway } from '../gateway.js';
import { createLogger } from '../log.js';
import { configureProviders } from '../providers/index.js';
import { serverWarnings } from '../db/server-warnings.js';
import { startupSummary } from '../summary.js';
import { parseCommandLine } from './args.js';
import { readRetentionDays, startRetention } from './prune-logs.js';
import type { CliCommand } from './types.js';

type Logger = ReturnType<typeof createLogger>;

export const command: CliCommand = {
  name: 'serve',
  summary: 'run the gateway (the default)',
  help: `usage: payrelay [serve]

Runs the gateway: applies the migrations, answers the providers, delivers webhooks, sends
alerts and prunes the request log (HTTP_LOG_RETENTION_DAYS). Configured by environment
variables and a .env file in the working directory (see the README). Stops on SIGTERM or
SIGINT after the requests and deliveries under way (at most SHUTDOWN_TIMEOUT_MS).`,
  async run(args) {
    parseCommandLine(args, {});
    const env = new EnvReader(loadEnv());
    const core = readCoreConfig(env);
    const configured = configureProviders(env);
    const retentionDays = readRetentionDays(env);
    const alertConfig = readAlertConfig(env);
    const logger = createLogger(core.debug);

    const gateway = await untilReachable(
      () => openGateway(core, configured, logger),
      (error, inMs) => logger.warn({ reason: (error as Error).message, retryInMs: inMs }, 'database unreachable, waiting for it'),
    );
    const address = await gateway.app.listen({ host: core.host, port: core.port });
    gateway.dispatcher.start();
    const stopRetention = startRetention(gateway.db, configured, retentionDays, logger);
    const alerts = startAlerts(gateway.db, gateway.streams, alertConfig, logger);
    // Signals are handled before "listening" is printed: whoever reads it may stop us at once.
    const stopped = untilSignal(core, logger, async () => {
      stopRetention();
      await alerts.stop();
      await gateway.close();
    });
    // A database that cannot tell its settings now is already being waited for and logged.
    const databaseWarnings = await serverWarnings(gateway.db).catch(() => []);
    const summary = startupSummary(core, configured, address, databaseWarnings);
    process.stderr.write(`${summary}\n${operationsSummary(alertConfig, retentionDays, core.metricsToken)}\n`);
    return stopped;
  },
};

/** Where alerts go and how long the request log is kept, for the start-up summary. */
function operationsSummary(alerts: AlertConfig, retentionDays: number | undefined, metricsToken?: string): string {
  const channels = (['webhook', 'telegram', 'email'] as const).filter((name) => alerts[name]);
  const after = alerts.afterMs < 1000 ? `${alerts.afterMs} ms` : duration(alerts.afterMs);
  const alerting = channels.length
    ? `alerts: ${channels.join(', ')}, when webhooks are ${after} late`
    : 'alerts: no channel (ALERT_WEBHOOK_URL, ALERT_TELEGRAM_BOT_TOKEN, ALERT_SMTP_URL); incidents are only recorded';
  const retention = retentionDays
    ? `kept ${retentionDays} days (HTTP_LOG_RETENTION_DAYS)`
    : 'kept forever (HTTP_LOG_RETENTION_DAYS=0)';
  const metrics = metricsToken ? '/metrics (Bearer METRICS_TOKEN)' : '/metrics (open: METRICS_TOKEN)';
  return `${alerting}\nrequest log: ${retention}\nmetrics: ${metrics}; readiness: /readyz`;
}

/** Resolves with the exit code once SIGTERM or SIGINT has stopped everything. */
function untilSignal(core: CoreConfig, logger: Logger, close: () => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      // The close waits for work under way; this is the bound on how long.
      setTimeout(() => resolve(0), core.shutdownTimeoutMs + 2000).unref();
      try {
        logger.info({ signal }, 'shutting down');
        await close();
        logger.info('stopped');
        resolve(0);
      } catch (error) {
        logger.error({ err: error }, 'unclean shutdown');
        resolve(1);
      }
    };
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
  });
}
