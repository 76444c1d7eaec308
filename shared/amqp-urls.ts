import { z } from 'zod';

/**
 * `--amqp-url` names one broker or several, separated by commas, tried in turn (shared/amqp.ts): the nodes
 * of a RabbitMQ cluster, or a primary and a standby. Each URL is complete on its own (its user, password
 * and vhost); a comma inside a password is written `%2C`, as in any URL.
 */
export function splitAmqpUrls(text: string): string[] {
  return text
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '');
}

/** The setting's schema: one or more amqp:// or amqps:// URLs, kept as the text given (one setting, one value). */
export const AmqpUrlsSchema = z.string().superRefine((text, ctx) => {
  const urls = splitAmqpUrls(text);
  if (urls.length === 0) ctx.addIssue({ code: 'custom', message: 'must start with amqp:// or amqps://' });
  urls.forEach((url, i) => {
    // The piece itself is not echoed: a bad piece may be the tail of a password that held a raw comma.
    if (!/^amqps?:\/\/\S*$/.test(url)) {
      const which = urls.length > 1 ? `URL ${i + 1} of ${urls.length} ` : '';
      ctx.addIssue({ code: 'custom', message: `${which}must start with amqp:// or amqps:// (several URLs are separated by commas; a comma in a password is written %2C)` });
    }
  });
});
