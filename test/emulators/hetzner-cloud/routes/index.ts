/** Every route the emulator answers. */
import type { Route } from '../router.js';
import { actionRoutes } from './action-routes.js';
import { catalogRoutes } from './catalog-routes.js';
import { firewallRoutes } from './firewall-routes.js';
import { serverRoutes } from './server-routes.js';
import { sshKeyRoutes } from './ssh-key-routes.js';

export const ROUTES: Route[] = [...serverRoutes, ...actionRoutes, ...catalogRoutes, ...sshKeyRoutes, ...firewallRoutes];
