/**
 * The parts of Kubernetes API objects that discovery reads, as they arrive in JSON.
 * Everything is optional because the API omits empty fields.
 * @module
 */

/** KubeMeta is an object's metadata. */
export interface KubeMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly ownerReferences?: readonly { readonly kind?: string; readonly name?: string; readonly controller?: boolean }[];
}

/** KubeObject is any API object. */
export interface KubeObject {
  readonly kind?: string;
  readonly metadata?: KubeMeta;
}

/** KubeContainerPort is a container port. */
export interface KubeContainerPort {
  readonly name?: string;
  readonly containerPort?: number;
  readonly protocol?: string;
}

/** KubeContainer is a pod container. */
export interface KubeContainer {
  readonly name?: string;
  readonly image?: string;
  readonly ports?: readonly KubeContainerPort[];
}

/** KubePod is a v1 Pod. */
export interface KubePod extends KubeObject {
  readonly spec?: { readonly nodeName?: string; readonly containers?: readonly KubeContainer[]; readonly initContainers?: readonly KubeContainer[] };
  readonly status?: {
    readonly podIP?: string;
    readonly hostIP?: string;
    readonly phase?: string;
    readonly conditions?: readonly { readonly type?: string; readonly status?: string }[];
    readonly containerStatuses?: readonly { readonly name?: string; readonly containerID?: string }[];
    readonly initContainerStatuses?: readonly { readonly name?: string; readonly containerID?: string }[];
  };
}

/** KubeService is a v1 Service. */
export interface KubeService extends KubeObject {
  readonly spec?: {
    readonly type?: string;
    readonly clusterIP?: string;
    readonly externalName?: string;
    readonly loadBalancerIP?: string;
    readonly ports?: readonly { readonly name?: string; readonly port?: number; readonly protocol?: string }[];
  };
}

/** KubeObjectRef is a reference to another object. */
export interface KubeObjectRef {
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
}

/** KubeEndpoints is a v1 Endpoints. */
export interface KubeEndpoints extends KubeObject {
  readonly subsets?: readonly {
    readonly addresses?: readonly KubeEndpointAddress[];
    readonly notReadyAddresses?: readonly KubeEndpointAddress[];
    readonly ports?: readonly { readonly name?: string; readonly port?: number; readonly protocol?: string }[];
  }[];
}

/** KubeEndpointAddress is one address of an Endpoints subset. */
export interface KubeEndpointAddress {
  readonly ip?: string;
  readonly hostname?: string;
  readonly nodeName?: string;
  readonly targetRef?: KubeObjectRef;
}

/** KubeEndpointSlice is a discovery.k8s.io v1 (or v1beta1) EndpointSlice. */
export interface KubeEndpointSlice extends KubeObject {
  readonly addressType?: string;
  readonly endpoints?: readonly {
    readonly addresses?: readonly string[];
    readonly conditions?: { readonly ready?: boolean; readonly serving?: boolean; readonly terminating?: boolean };
    readonly hostname?: string;
    readonly nodeName?: string;
    readonly targetRef?: KubeObjectRef;
    readonly deprecatedTopology?: Readonly<Record<string, string>>;
    readonly topology?: Readonly<Record<string, string>>;
  }[];
  readonly ports?: readonly { readonly name?: string; readonly port?: number; readonly protocol?: string; readonly appProtocol?: string }[];
}

/** KubeNode is a v1 Node. */
export interface KubeNode extends KubeObject {
  readonly spec?: { readonly providerID?: string };
  readonly status?: {
    readonly addresses?: readonly { readonly type?: string; readonly address?: string }[];
    readonly daemonEndpoints?: { readonly kubeletEndpoint?: { readonly Port?: number } };
  };
}

/** KubeIngress is a networking.k8s.io v1 Ingress. */
export interface KubeIngress extends KubeObject {
  readonly spec?: {
    readonly ingressClassName?: string;
    readonly tls?: readonly { readonly hosts?: readonly string[] }[];
    readonly rules?: readonly { readonly host?: string; readonly http?: { readonly paths?: readonly { readonly path?: string }[] } }[];
  };
}
