package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LetterlockServerTest {

    @Test
    void readsTheAdminCredentialFile() {
        LetterlockServer.Credential credential = LetterlockServer.credential("# Letterlock's first administrator\nusername=admin\npassword=a=b c\n");
        assertThat(credential).isEqualTo(new LetterlockServer.Credential("admin", "a=b c"));
        assertThatThrownBy(() -> LetterlockServer.credential("username=admin\n")).hasMessageContaining("password");
    }

    @Test
    void authenticatesWithHttpBasic() {
        // RFC 7617's example: Aladdin / open sesame.
        assertThat(new LetterlockServer.Credential("Aladdin", "open sesame").basic()).isEqualTo("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    }

    @Test
    void givesTheLauncherItsOwnFolderAndPortAndNothingFromTheCallingShell() {
        Map<String, String> environment = LetterlockServer.launcherEnvironment(Path.of("/tmp/bench/letterlock"), 18080);
        assertThat(environment).containsEntry("LETTERLOCK_DATA_DIR", "/tmp/bench/letterlock").containsEntry("LETTERLOCK_HTTP_PORT", "18080")
                .containsEntry("LETTERLOCK_NO_BUILD", "1").doesNotContainKey("SOFTHSM2_CONF");
        assertThat(environment.keySet().stream().filter(k -> k.startsWith("LETTERLOCK_")))
                .containsExactlyInAnyOrder("LETTERLOCK_DATA_DIR", "LETTERLOCK_HTTP_PORT", "LETTERLOCK_NO_BUILD");
    }
}
