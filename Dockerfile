# syntax=docker/dockerfile:1
# The SDR transport server: the fat jar (verticles/target/sdr-transport.jar) on a JRE.
#   docker build -t sdr-transport .
#   docker run --rm -p 8080:8080 --shm-size=256m sdr-transport       # test pattern, viewer at :8080/
# Multi-stage: Maven builds the jar (tests are the CI's job, not the image's), the runtime stage has
# only a JRE, the jar, conf/ and curl for the health check.

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
# Every module POM is needed for the reactor, even those not built here.
COPY pom.xml ./
COPY shm-worker/pom.xml shm-worker/
COPY verticles/pom.xml verticles/
COPY tests/pom.xml tests/
COPY shm-worker/src shm-worker/src
COPY verticles/src verticles/src
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q -pl verticles -am -DskipTests package

FROM eclipse-temurin:17-jre
RUN apt-get update \
  && apt-get install -y --no-install-recommends curl \
  && rm -rf /var/lib/apt/lists/* \
  && useradd --system --uid 10001 --create-home --home-dir /home/sdr sdr
WORKDIR /app
COPY --from=build /src/verticles/target/sdr-transport.jar /app/sdr-transport.jar
COPY conf/ /app/conf/
# Not root. JavaCPP unpacks FFmpeg's libraries under $HOME/.javacpp on first use.
USER sdr
ENV SDR_LISTEN_ADDR=0.0.0.0:8080 \
    SDR_SHM_PATH=/dev/shm/sdr_os_ipc/frames
EXPOSE 8080
# /health answers 503 when a stream has had no frame for websocket.healthStaleMs (default 5 s).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${SDR_LISTEN_ADDR##*:}/health" > /dev/null || exit 1
# Frame buffers are pooled and reference counted (io.sdr.bus.Frame): no direct-memory cap is needed.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=50", "-jar", "/app/sdr-transport.jar"]
CMD ["-conf", "/app/conf/conf.json"]
