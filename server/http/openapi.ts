import { z } from 'zod';
import {
  AdminCacheSchema,
  AdminCachesSchema,
  AdminDrainSchema,
  AdminDrainsSchema,
  AdminRemovedSchema,
  CacheDetailSchema,
  CacheIdParamSchema,
  CachesQuerySchema,
  CachesResponseSchema,
  ErrorBodySchema,
  NearestQuerySchema,
  NearestResponseSchema,
  PacQuerySchema,
  WlcgWpadResponseSchema,
} from './api-schemas.js';

type JsonSchema = Record<string, unknown>;

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output' = 'output'): JsonSchema => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

/** OpenAPI parameters from a zod object schema: one per property, in the given place. */
function parametersOf(schema: z.ZodType, where: 'query' | 'path'): JsonSchema[] {
  const s = jsonSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(s.properties ?? {}).map(([name, prop]) => {
    const { description, ...rest } = prop;
    return { name, in: where, required: where === 'path' || (s.required ?? []).includes(name), ...(description ? { description } : {}), schema: rest };
  });
}

const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema: jsonSchema(schema) } } });
const errors = {
  '400': json(ErrorBodySchema, 'a parameter is malformed or out of range; the message names each'),
};
const adminErrors = {
  '401': json(ErrorBodySchema, 'missing or wrong bearer token'),
  '404': json(ErrorBodySchema, 'no such cache'),
};

/** The OpenAPI 3.1 document of every `/api/v1` route, from the zod schemas that validate them. */
export function openApiDocument(options: { adminEnabled: boolean; basePath?: string }): JsonSchema {
  const idParam = parametersOf(CacheIdParamSchema, 'path');
  const admin = { tags: ['admin'], security: [{ bearer: [] }] };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Shoal',
      version: '1',
      description: `Nearest, least loaded Squid/Varnish caches for CVMFS and Frontier clients. Admin routes are ${options.adminEnabled ? 'enabled' : 'off on this server (no admin token configured)'}.`,
    },
    // Paths are relative to this: under --base-path /shoal, /shoal/api/v1/nearest.
    servers: [{ url: options.basePath || '/' }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths: {
      '/api/v1/nearest': {
        get: {
          summary: 'The caches nearest the caller (or `ip`, or `lat`+`lon`), ranked; site-local caches first',
          parameters: parametersOf(NearestQuerySchema, 'query'),
          responses: {
            '200': {
              description: 'ranked caches, in the requested format',
              content: {
                'application/json': { schema: jsonSchema(NearestResponseSchema) },
                'text/plain': { schema: { type: 'string', description: 'format=cvmfs, frontier or text' } },
                'application/x-ns-proxy-autoconfig': { schema: { type: 'string', description: 'format=pac' } },
              },
            },
            ...errors,
          },
        },
      },
      '/api/v1/caches': {
        get: { summary: 'Every live cache', parameters: parametersOf(CachesQuerySchema, 'query'), responses: { '200': json(CachesResponseSchema, 'live caches'), ...errors } },
      },
      '/api/v1/caches/{id}': {
        get: {
          summary: 'One live cache, with the load samples (last hour) and verification outcomes this server process has seen of it',
          parameters: idParam,
          responses: { '200': json(CacheDetailSchema, 'the cache and its history'), ...errors, '404': json(ErrorBodySchema, 'no such cache is listed') },
        },
      },
      '/api/v1/export/wlcg-wpad': {
        get: { summary: 'Caches in the form WLCG WPAD reads (shoal-squids.json)', responses: { '200': json(WlcgWpadResponseSchema, 'squids by hostname'), ...errors } },
      },
      '/api/v1/admin/drains': {
        get: { ...admin, summary: 'Caches being drained', responses: { '200': json(AdminDrainsSchema, 'draining cache ids'), ...adminErrors } },
      },
      '/api/v1/admin/caches': {
        get: { ...admin, summary: 'Every live cache, with what the server’s verification saw (detail)', responses: { '200': json(AdminCachesSchema, 'live caches'), ...adminErrors } },
      },
      '/api/v1/admin/caches/{id}': {
        get: { ...admin, summary: 'One cache, with what the server’s verification saw (detail)', parameters: idParam, responses: { '200': json(AdminCacheSchema, 'the cache'), ...adminErrors } },
        delete: { ...admin, summary: 'Remove a cache now (it re-joins on its next heartbeat)', parameters: idParam, responses: { '200': json(AdminRemovedSchema, 'removed'), ...adminErrors } },
      },
      '/api/v1/admin/caches/{id}/drain': {
        post: { ...admin, summary: 'Drain a cache: still listed, never offered', parameters: idParam, responses: { '200': json(AdminDrainSchema, 'draining'), ...adminErrors } },
        delete: { ...admin, summary: 'Stop draining a cache', parameters: idParam, responses: { '200': json(AdminDrainSchema, 'no longer draining'), ...adminErrors } },
      },
      '/proxy.pac': {
        get: {
          summary: 'PAC file (also at /wpad.dat): CVMFS URLs to CVMFS caches, Frontier URLs to Frontier caches, others DIRECT',
          parameters: parametersOf(PacQuerySchema, 'query'),
          responses: { '200': { description: 'PAC file', content: { 'application/x-ns-proxy-autoconfig': { schema: { type: 'string' } } } }, ...errors },
        },
      },
    },
  };
}
