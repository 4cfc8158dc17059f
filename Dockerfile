# backflow worker image: `docker compose up` runs `backflow worker`; `docker compose run worker
# backflow run <sync>` runs a sync on the same cluster.
FROM node:20-bookworm

WORKDIR /app

# Install exactly as CI does (.ci/run): the same command, the same lockfile. Keep the two identical —
# test/unit/compose.unit.test.ts fails when they drift. CI's other steps (the Temporal CLI for the
# embedded dev server, PostgreSQL for the tests, `npm test`) are test-only: in the image
# TEMPORAL_ADDRESS points at a real cluster and BACKFLOW_STATE_URL at a real PostgreSQL.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# No compile step, as in CI: bin/backflow.js runs the TypeScript sources through tsx.
COPY . .
RUN chmod +x bin/backflow.js && ln -s /app/bin/backflow.js /usr/local/bin/backflow

# The project (backflow.yaml + syncs/) is mounted here; see docker-compose.yml.
ENV BACKFLOW_PROJECT=/project
USER node

# SIGTERM from `docker stop` reaches node directly (exec form), so the worker shuts down gracefully.
CMD ["backflow", "worker"]
