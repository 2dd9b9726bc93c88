// Every portable suite, in run order. Both runners import this file.
import lifecycle from './lifecycle.js';
import crypto from './crypto.js';
import rotation from './rotation.js';
import aliasesTags from './aliases-tags.js';
import errors from './errors.js';
import client from './client.js';
import access from './access.js';
import auditEvents from './audit-events.js';
import importMaterial from './import.js';
import backup from './backup.js';
import envelope from './envelope.js';
import customKeyStores from './custom-key-stores.js';
import dataKeyCache from './data-key-cache.js';
import engines from './engines.js';
import regions from './regions.js';
import multiRegion from './multi-region.js';
import requestHandler from './request-handler.js';

export const suites = [lifecycle, crypto, rotation, aliasesTags, errors, client, access, auditEvents, importMaterial, backup, envelope, dataKeyCache, customKeyStores, engines, regions, multiRegion, requestHandler];
