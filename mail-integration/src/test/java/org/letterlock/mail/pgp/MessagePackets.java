package org.letterlock.mail.pgp;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.bcpg.ArmoredInputStream;
import org.bouncycastle.bcpg.BCPGInputStream;
import org.bouncycastle.bcpg.Packet;
import org.bouncycastle.bcpg.PublicKeyEncSessionPacket;
import org.bouncycastle.bcpg.SymmetricEncIntegrityPacket;
import org.bouncycastle.bcpg.SymmetricKeyEncSessionPacket;

/**
 * The packets an armored OpenPGP message begins with, as Bouncy Castle's packet parser reads them: the session key
 * packets (PKESK, SKESK) and the header of the encrypted data packet that follows them.
 */
record MessagePackets(List<PublicKeyEncSessionPacket> pkesks, List<SymmetricKeyEncSessionPacket> skesks, SymmetricEncIntegrityPacket seipd) {

    static MessagePackets read(String armored) throws IOException {
        List<PublicKeyEncSessionPacket> pkesks = new ArrayList<>();
        List<SymmetricKeyEncSessionPacket> skesks = new ArrayList<>();
        try (BCPGInputStream in = new BCPGInputStream(new ArmoredInputStream(new ByteArrayInputStream(armored.getBytes(StandardCharsets.US_ASCII))))) {
            while (true) {
                Packet packet = in.readPacket();
                if (packet instanceof PublicKeyEncSessionPacket pkesk) {
                    pkesks.add(pkesk);
                } else if (packet instanceof SymmetricKeyEncSessionPacket skesk) {
                    skesks.add(skesk);
                } else if (packet instanceof SymmetricEncIntegrityPacket seipd) {
                    return new MessagePackets(pkesks, skesks, seipd);
                } else {
                    throw new AssertionError("unexpected packet before the encrypted data: " + packet);
                }
            }
        }
    }
}
