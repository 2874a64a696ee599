package org.letterlock.deploy;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;
import java.util.Set;
import org.eclipse.microprofile.openapi.annotations.OpenAPIDefinition;
import org.letterlock.ca.web.CaResource;
import org.letterlock.escrow.web.EscrowResource;
import org.letterlock.keyserver.web.KeyserverResource;
import org.letterlock.mail.web.GatewayResource;
import org.letterlock.enroll.web.EnrollResource;
import org.eclipse.microprofile.openapi.annotations.info.Info;
import org.letterlock.platform.web.AdminAuthentication;
import org.letterlock.platform.web.AdminResource;
import org.letterlock.platform.web.AuditResource;
import org.letterlock.platform.web.IdentityResource;
import org.letterlock.platform.web.OpenMetricsResource;
import org.letterlock.platform.web.ProblemMapper;
import org.letterlock.platform.web.VaultResource;

/** The REST API under /api: the resources and providers of every module, listed explicitly. */
@ApplicationPath("api")
@OpenAPIDefinition(info = @Info(title = "Letterlock", version = "0.1",
        description = "Key management and certificate authority for email. Administrators log in with HTTP Basic; errors are RFC 9457 problem+json."))
public class LetterlockApplication extends Application {

    @Override
    public Set<Class<?>> getClasses() {
        return Set.of(
                ProblemMapper.class,
                AdminAuthentication.class,
                AdminResource.class,
                IdentityResource.class,
                AuditResource.class,
                VaultResource.class,
                OpenMetricsResource.class,
                CaResource.class,
                EscrowResource.class,
                KeyserverResource.class,
                GatewayResource.class,
                EnrollResource.class);
    }
}
