import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface NginxPaths {
  configFile: string;
  pidFile: string;
  errorLog: string;
  accessLog: string;
}

/**
 * Writes an nginx configuration that uses only files under `workDir`, so the lab's nginx never
 * reads or writes the system nginx's configuration, pid file or logs.
 *
 * `/api/echo` is proxied to a second server on the target's loopback: with request buffering on,
 * nginx reads the whole request body first, and that is the wait a slow-body attack keeps open.
 */
export async function writeNginxConfig(workDir: string, siteRoot: string, port: number): Promise<NginxPaths> {
  const paths: NginxPaths = {
    configFile: join(workDir, 'nginx.conf'),
    pidFile: join(workDir, 'nginx.pid'),
    errorLog: join(workDir, 'nginx-error.log'),
    accessLog: join(workDir, 'nginx-access.log'),
  };
  const temp = (name: string) => join(workDir, `nginx-${name}`);
  const config = `
worker_processes 1;
worker_rlimit_nofile 16384;
pid ${paths.pidFile};
error_log ${paths.errorLog} warn;
events {
  worker_connections 8192;
}
http {
  default_type application/octet-stream;
  types {
    text/html html;
    text/css css;
    application/javascript js;
    image/png png;
    application/json json;
  }
  access_log ${paths.accessLog};
  client_body_temp_path ${temp('body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
  sendfile on;
  keepalive_timeout 65s;
  keepalive_requests 1000;
  server {
    listen ${port} backlog=4096;
    listen [::]:${port} backlog=4096;
    root ${siteRoot};
    index index.html;
    location = /api/status {
      default_type application/json;
      return 200 '{"status":"ok","time":$msec,"request":"$request_id"}';
    }
    location = /api/echo {
      client_max_body_size 1m;
      proxy_pass http://127.0.0.1:8081;
    }
  }
  server {
    listen 127.0.0.1:8081;
    access_log off;
    location / {
      default_type application/json;
      return 200 '{"received":$content_length}';
    }
  }
}
`;
  await writeFile(paths.configFile, config);
  return paths;
}
