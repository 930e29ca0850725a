package dev.stashflow.es;

import org.elasticsearch.cluster.ClusterName;
import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.PluginsLoader;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Starts one real Elasticsearch node for the Stashflow dev stack, in this JVM.
 *
 * The official distribution's launcher (CLI + entitlement agent) is not published on Maven Central, but the server jar,
 * its libraries and the transport-netty4 module are. This class does what the distribution's bootstrap does for a node
 * through public server APIs: read config/elasticsearch.yml, configure logging from config/log4j2.properties, load the
 * modules found under $ES_HOME/modules (each with a plugin-descriptor.properties, in its own class loader), then
 * construct and start {@link Node}. Not done here: entitlement enforcement, native system-call filters and the
 * production bootstrap checks — a dev/test node, like the ones Elasticsearch's own test framework starts.
 *
 * Usage: java -cp 'lib/*' dev.stashflow.es.EsLauncher ES_HOME CONFIG_DIR
 */
public final class EsLauncher {
    private EsLauncher() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: EsLauncher ES_HOME CONFIG_DIR");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        Path config = Path.of(args[1]).toAbsolutePath();

        LogConfigurator.registerErrorListener();
        Environment env = InternalSettingsPreparer.prepareEnvironment(
            Settings.builder().put(Environment.PATH_HOME_SETTING.getKey(), home.toString()).build(),
            Map.of(),
            config,
            () -> "stashflow-es"
        );
        LogConfigurator.setClusterName(ClusterName.CLUSTER_NAME_SETTING.get(env.settings()).value());
        LogConfigurator.setNodeName(Node.NODE_NAME_SETTING.get(env.settings()));
        LogConfigurator.configure(env, true);

        var modules = PluginsLoader.loadModulesBundles(env.modulesDir(), false);
        var plugins = PluginsLoader.loadPluginsBundles(env.pluginsDir(), false);
        PluginsLoader pluginsLoader = PluginsLoader.createPluginsLoader(modules, plugins, Map.of(), false);

        Node node = new Node(env, pluginsLoader);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.prepareForClose();
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "stashflow-es-shutdown"));
        node.start();
        // Node threads are daemon threads: keep the JVM alive until the shutdown hook has closed the node.
        stopped.await();
    }
}
