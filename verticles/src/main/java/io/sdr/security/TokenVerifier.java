package io.sdr.security;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.core.json.JsonObject;

/**
 * Checks a viewer's token with vertx-auth-jwt: the signature (only the configured algorithm and
 * key; "none" and the other algorithm are refused), {@code exp} (required here, Vert.x accepts a
 * token without one), {@code nbf}/{@code iat}, {@code iss} and {@code aud} when configured, all
 * within the configured leeway; then reads the {@code sdr} claim into {@link Grants}.
 */
public final class TokenVerifier {
    private final JWTAuth jwt;

    /** A token that checked out: what it grants, whom it names, when it expires (epoch seconds). */
    public record Verified(Grants grants, String subject, long expiresAtEpochS) {
    }

    /** Why a token was refused; the message is safe to show and log (it never holds the token). */
    public static final class TokenRejected extends Exception {
        TokenRejected(final String reason) {
            super(reason, null, false, false);
        }

    }

    public TokenVerifier(final Vertx vertx, final AuthConfig config) {
        final PubSecKeyOptions key = new PubSecKeyOptions().setAlgorithm(config.algorithm())
            .setBuffer(config.algorithm().equals("HS256") ? config.secret() : config.publicKeyPem());
        final JWTOptions options = new JWTOptions().setLeeway(config.leewaySeconds());
        if (config.issuer() != null) {
            options.setIssuer(config.issuer());
        }
        if (!config.audience().isEmpty()) {
            options.setAudience(config.audience());
        }
        jwt = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(key).setJWTOptions(options));
    }

    public Future<Verified> verify(final String token) {
        if (token == null || token.isEmpty()) {
            return Future.failedFuture(new TokenRejected("missing token: pass it as ?token=, as the WebSocket subprotocol "
                + "\"sdr.token.<token>\" next to \"sdr.v1\", or as Authorization: Bearer"));
        }
        final Future<io.vertx.ext.auth.User> user;
        try {
            user = jwt.authenticate(new TokenCredentials(token));
        } catch (final RuntimeException e) {
            return Future.failedFuture(new TokenRejected("invalid token: " + e.getMessage()));
        }
        return user.recover(e -> {
            final String message = String.valueOf(e.getMessage());
            final boolean expired = message.contains("expired");
            return Future.failedFuture(new TokenRejected((expired ? "expired token: " : "invalid token: ") + message));
        }).compose(u -> {
            // Vert.x 5 keeps the verified payload in the attributes; the principal holds the raw token.
            final Object payload = u.attributes().getValue("accessToken");
            final JsonObject claims = payload instanceof JsonObject ? (JsonObject) payload : u.principal();
            if (!(claims.getValue("exp") instanceof Number)) {
                return Future.failedFuture(new TokenRejected("invalid token: no \"exp\" claim (tokens must expire)"));
            }
            try {
                return Future.succeededFuture(new Verified(Grants.fromClaims(claims), claims.getString("sub"),
                    claims.getLong("exp")));
            } catch (final IllegalArgumentException | ClassCastException e) {
                return Future.failedFuture(new TokenRejected("invalid token: " + e.getMessage()));
            }
        });
    }
}
