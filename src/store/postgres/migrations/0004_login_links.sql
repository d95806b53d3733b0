-- One-time sign-in links printed by `webpig login-link <email>`. Only the sha256 of the link's
-- token is kept (a copied database holds no usable link); used_at makes a link single use.
CREATE TABLE login_links (
  id         bigserial   PRIMARY KEY,
  token_hash text        NOT NULL UNIQUE,
  email      text        NOT NULL,
  created_by text        NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at    timestamptz
);
