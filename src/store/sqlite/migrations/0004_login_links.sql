-- One-time sign-in links printed by `webpig login-link <email>`. Only the sha256 of the link's
-- token is kept (a copied database holds no usable link); used_at makes a link single use.
CREATE TABLE login_links (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  token_hash TEXT    NOT NULL UNIQUE,
  email      TEXT    NOT NULL,
  created_by TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at    INTEGER
);
