/*
 * Starts DynamoDB Local with its HTTP connector bound to one host (127.0.0.1 by default).
 *
 * Why this exists: DynamoDB Local's ServerRunner builds `new org.eclipse.jetty.server.Server(port)`,
 * whose connector binds every interface, and it has no host flag. Here we let DynamoDB Local parse
 * its own command line (same flags as `java -jar DynamoDBLocal.jar`), then set the host on the
 * Jetty connector before the server starts.
 *
 * The compiled LoopbackDynamoDbLocal.class is committed next to this file so that a JRE without
 * javac can run it. After editing this file run ./build.sh (needs a JDK); a test checks that the
 * class and the recorded checksums match this source.
 *
 * System properties:
 *   dynamodb.local.host             host for the connector (default 127.0.0.1)
 *   dynamodb.local.exitOnStdinEof   "true": exit when stdin reaches EOF, so the server dies with
 *                                   the parent process that holds the other end of the pipe,
 *                                   even when that parent is killed with SIGKILL.
 *
 * Exit codes: 2 bad arguments or unexpected DynamoDB Local internals, 3 could not listen.
 */

import java.io.IOException;
import java.lang.reflect.Field;
import java.net.BindException;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public final class LoopbackDynamoDbLocal {
  private LoopbackDynamoDbLocal() {}

  public static void main(String[] args) throws Exception {
    String host = System.getProperty("dynamodb.local.host", "127.0.0.1");
    if (Boolean.getBoolean("dynamodb.local.exitOnStdinEof")) {
      watchStdin();
    }

    DynamoDBProxyServer proxy;
    try {
      proxy = ServerRunner.createServerFromCommandLineArgs(args);
    } catch (Exception e) {
      fail(2, "could not parse DynamoDB Local arguments: " + e);
      return;
    }

    // DynamoDBProxyServer keeps its Jetty server in a private field and exposes no getter.
    Server server;
    try {
      Field field = DynamoDBProxyServer.class.getDeclaredField("server");
      field.setAccessible(true);
      server = (Server) field.get(proxy);
    } catch (ReflectiveOperationException | ClassCastException e) {
      fail(2, "DynamoDB Local internals changed (DynamoDBProxyServer.server): " + e);
      return;
    }

    Connector[] connectors = server.getConnectors();
    if (connectors.length == 0) {
      fail(2, "DynamoDB Local internals changed: its Jetty server has no connector");
    }
    for (Connector connector : connectors) {
      if (!(connector instanceof ServerConnector)) {
        fail(2, "DynamoDB Local internals changed: unexpected connector " + connector.getClass().getName());
      }
      ((ServerConnector) connector).setHost(host);
    }

    // Jetty 12 reports a taken port as an IOException caused by a BindException; older releases
    // threw a SocketException that DynamoDBProxyServer.start() printed and swallowed. Handle both:
    // exit 3 on a bind failure, and check below that the connector really listens.
    try {
      proxy.start();
    } catch (Exception e) {
      for (Throwable cause = e; cause != null; cause = cause.getCause()) {
        if (cause instanceof BindException) {
          fail(3, "cannot listen on " + host + ": " + cause.getMessage());
        }
      }
      throw e;
    }
    ServerConnector first = (ServerConnector) connectors[0];
    if (!server.isStarted() || !first.isOpen() || first.getLocalPort() <= 0) {
      fail(3, "DynamoDB Local is not listening on " + host);
    }
    // The Node side waits for this exact line before it probes the port.
    System.out.println("LoopbackDynamoDbLocal listening on " + host + ":" + first.getLocalPort());
    System.out.flush();
  }

  private static void watchStdin() {
    Thread watcher =
        new Thread(
            () -> {
              try {
                byte[] buffer = new byte[256];
                while (System.in.read(buffer) != -1) {
                  // Ignore input; only EOF matters.
                }
              } catch (IOException e) {
                // A broken pipe means the parent is gone as well.
              }
              System.exit(0);
            },
            "stdin-eof-watcher");
    watcher.setDaemon(true);
    watcher.start();
  }

  private static void fail(int code, String message) {
    System.err.println("LoopbackDynamoDbLocal: " + message);
    System.err.flush();
    System.exit(code);
  }
}
