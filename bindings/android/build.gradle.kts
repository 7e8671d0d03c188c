// The mobilenmt Android library (AAR): the Java binding of bindings/java plus one
// libmobilenmt_jni.so per ABI, which ./build-native.sh puts under src/main/jniLibs/<abi>/.
// Untested: no Android SDK or Gradle could be used where this was written (see docs/mobile.md).
plugins {
    // Standalone build. Included in an app that already applies the Android Gradle Plugin,
    // drop the version: Gradle refuses a second version of a plugin already on the classpath.
    id("com.android.library") version "8.5.2"
}

android {
    namespace = "org.mobilenmt"
    compileSdk = 34

    defaultConfig {
        minSdk = 21
        consumerProguardFiles("consumer-rules.pro")
    }

    compileOptions {
        // The binding is Java 8 source (`make test-java` compiles it with --release 8).
        sourceCompatibility = JavaVersion.VERSION_1_8
        targetCompatibility = JavaVersion.VERSION_1_8
    }

    sourceSets {
        getByName("main") {
            // One copy of the Java sources, shared with the host build and its tests.
            java.srcDirs("../java/src/main/java")
            jniLibs.srcDirs("src/main/jniLibs")
        }
    }
}
