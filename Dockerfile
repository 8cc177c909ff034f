# The gateway, built from the repository. `npm ci` also builds (prepare: server and console);
# dev dependencies stay installed, because the console build needs them at build time.
FROM node:20-bookworm-slim

# Build tools for better-sqlite3's native module, when no prebuilt binary matches.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund \
 && mkdir -p /app/data && chown node:node /app/data

USER node
ENV HOST=0.0.0.0 PORT=4000
EXPOSE 4000
CMD ["npm", "start"]
