package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class NginxTest {

    @Test
    void servesOnLoopbackWithTwoWorkersNoAccessLogAndTheLocationGiven() {
        String config = Nginx.config(Path.of("/b/nginx"), 18080, OcspServe.NGINX_LOCATION);
        assertThat(config).contains("daemon off;", "worker_processes 2;", "access_log off;", "listen 127.0.0.1:18080;", "root /b/nginx;",
                "pid /b/nginx/nginx.pid;", "error_log /b/nginx/error.log", "client_body_temp_path /b/nginx/tmp/body;");
        assertThat(config).contains("        location / {\n            default_type application/ocsp-response;\n            try_files /ocsp-good.der =404;\n        }");
        assertThat(config).doesNotContain("listen 18080").doesNotContain("%");
        assertThat(Nginx.config(Path.of("/b"), 1, CaIssue.CEILING_LOCATION)).contains("return 201");
    }
}
